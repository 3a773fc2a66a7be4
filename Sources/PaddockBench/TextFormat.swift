/// printf-style formatting for the report (`%7d`, `%-9s`, `%7.3f`) without Foundation.
package enum TextFormat {
    /// `value` with exactly `digits` decimals, rounded half away from zero at that digit.
    package static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9.0e18 else { return value.description }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        let whole = units / divisor
        var text = String(whole)
        if digits > 0 {
            let fraction = String(units % divisor)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return (value < 0 && units != 0 ? "-" : "") + text
    }

    /// Right-aligned in `width` columns (`%7s`, `%7d`); longer text is kept whole.
    package static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// Left-aligned in `width` columns (`%-9s`); longer text is kept whole.
    package static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `%Nd` of a Double: Python truncates toward zero.
    package static func integer(_ value: Double, _ width: Int) -> String {
        right(value.isFinite ? String(Int(value)) : "0", width)
    }
}
