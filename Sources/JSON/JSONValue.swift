/// One JSON value with object members in document order: the one JSON model of the package. Kafka's
/// znode payloads are built and read with it (written in the key order a Kafka broker uses), the
/// shell prints znode data and its `--json` output with it, and the bench writes its reports with it.
///
/// Numbers keep their text (`JSONNumber`), so a 64-bit id or `1e3` reads back and prints exactly as
/// written. Parsing (`JSONValue.parse`) is for hostile input: bounded nesting, typed errors, no traps.
package indirect enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    /// Members in order; a key may repeat (as in the text parsed), lookups take the last.
    case object([Member])

    /// One `"key": value` member of an object.
    package typealias Member = (key: String, value: JSONValue)

    /// An integer number.
    package static func int(_ value: some BinaryInteger) -> JSONValue { .number(JSONNumber(value)) }

    /// A floating-point number; `null` when absent or not finite (JSON has no NaN or infinity).
    package static func double(_ value: Double?) -> JSONValue { value.flatMap(JSONNumber.init).map(JSONValue.number) ?? .null }

    /// A string, or `null` when absent.
    package static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// The value of `key` in an object (the last member of that name, as Jackson and Foundation read
    /// a repeated key); nil when absent or when this is not an object.
    package subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// The members of an object, nil for anything else.
    package var members: [Member]? {
        guard case .object(let members) = self else { return nil }
        return members
    }

    /// The items of an array, nil for anything else.
    package var items: [JSONValue]? {
        guard case .array(let items) = self else { return nil }
        return items
    }

    /// The text of a `.string`, nil for anything else.
    package var string: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }

    /// A `.number` that is a whole number within Int64 (`7`, `7.0`, `7e0`), exactly.
    package var int64: Int64? {
        guard case .number(let number) = self else { return nil }
        return number.int64
    }

    package static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    package func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let flag): hasher.combine(flag)
        case .number(let number): hasher.combine(number)
        case .string(let text): hasher.combine(text)
        case .array(let items): hasher.combine(items)
        case .object(let members):
            hasher.combine(members.count)
            for member in members {
                hasher.combine(member.key)
                hasher.combine(member.value)
            }
        }
    }
}

/// A JSON number as text that follows RFC 8259's grammar (`-? int frac? exp?`), so integers of any
/// width survive a parse and render unchanged; conversions are checked.
package struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The number as written.
    package let text: String

    package init(_ value: some BinaryInteger) { self.text = String(value) }

    /// The shortest text that reads back as `value` (`5.0`, `0.125`, `1e-05`); nil when not finite.
    package init?(_ value: Double) {
        guard value.isFinite else { return nil }
        self.text = value.description
    }

    /// `text` when it is a JSON number, nil otherwise.
    package init?(text: String) {
        let bytes = Array(text.utf8)
        guard Self.numberLength(bytes, from: 0) == bytes.count else { return nil }
        self.text = text
    }

    private init(validated text: String) { self.text = text }

    package var description: String { text }

    /// The value when it is a whole number within Int64 (`7`, `7.0`, `7e0`; not `7.5` nor 2^63).
    package var int64: Int64? {
        if let exact = Int64(text) { return exact }
        guard let value = Double(text), value.rounded() == value else { return nil }
        return Int64(exactly: value)
    }

    /// The nearest Double (infinite for out-of-range magnitudes, as `Double(_:)` reads them).
    package var double: Double? { Double(text) }

    /// The length of the JSON number starting at `start`, nil if none starts there.
    static func numberLength(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        func digits() -> Int {
            let first = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - first
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return nil
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return nil }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return nil }
        }
        return index - start
    }

    /// A number the parser has already checked.
    static func parsed(_ bytes: ArraySlice<UInt8>) -> JSONNumber {
        JSONNumber(validated: String(decoding: bytes, as: UTF8.self))
    }
}
