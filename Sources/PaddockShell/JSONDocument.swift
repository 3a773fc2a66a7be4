import ServerSupport

/// A JSON value with object members in document order: parsed from znode data (so it can be printed
/// indented, with the keys where the writer put them) and built for `--json` output.
///
/// Numbers keep their source text, so `1e3` or a 64-bit id prints exactly as written.
package indirect enum JSONDocument: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONDocument])
    case object([Member])

    /// One `"key": value` member of an object.
    package struct Member: Hashable, Sendable {
        package var key: String
        package var value: JSONDocument

        package init(_ key: String, _ value: JSONDocument) {
            self.key = key
            self.value = value
        }
    }

    /// An integer number.
    package static func int<I: BinaryInteger>(_ value: I) -> JSONDocument { .number(String(value)) }

    /// A string, or `null` when absent.
    package static func optional(_ value: String?) -> JSONDocument { value.map(JSONDocument.string) ?? .null }

    /// The value of `key` in an object (the first member of that name).
    package subscript(key: String) -> JSONDocument? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// The string a `.string`, or the text of a `.number`.
    package var text: String? {
        switch self {
        case .string(let value), .number(let value): value
        default: nil
        }
    }

    /// The integer a `.number` or numeric `.string` holds (Kafka writes some numbers as strings).
    package var integer: Int64? { text.flatMap { Int64($0) } }

    // MARK: - Parsing

    /// The document `text` holds, or nil if it is not exactly one JSON value (whitespace around allowed).
    package init?(parsing text: String) {
        var parser = Parser(Array(text.utf8))
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipBlanks()
        guard parser.atEnd else { return nil }
        self = value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        var atEnd: Bool { index == bytes.count }

        mutating func skipBlanks() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func take(_ literal: String) -> Bool {
            let expected = Array(literal.utf8)
            guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
                return false
            }
            index += expected.count
            return true
        }

        mutating func value(depth: Int) -> JSONDocument? {
            guard depth < 256 else { return nil }
            skipBlanks()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string().map(JSONDocument.string)
            case UInt8(ascii: "t"): return take("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return take("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return take("null") ? .null : nil
            default: return number()
            }
        }

        mutating func object(depth: Int) -> JSONDocument? {
            index += 1
            var members: [Member] = []
            skipBlanks()
            if take("}") { return .object(members) }
            while true {
                skipBlanks()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipBlanks()
                guard take(":"), let value = value(depth: depth + 1) else { return nil }
                members.append(Member(key, value))
                skipBlanks()
                if take("}") { return .object(members) }
                guard take(",") else { return nil }
            }
        }

        mutating func array(depth: Int) -> JSONDocument? {
            index += 1
            var items: [JSONDocument] = []
            skipBlanks()
            if take("]") { return .array(items) }
            while true {
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                skipBlanks()
                if take("]") { return .array(items) }
                guard take(",") else { return nil }
            }
        }

        mutating func number() -> JSONDocument? {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let allowed = Set("0123456789.eE+-".utf8)
            while index < bytes.count, allowed.contains(bytes[index]) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard Double(text) != nil, text.last?.isNumber == true else { return nil }
            return .number(text)
        }

        mutating func string() -> String? {
            index += 1
            var run: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: run, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    let simple: [UInt8: String] = [
                        UInt8(ascii: "\""): "\"", UInt8(ascii: "\\"): "\\", UInt8(ascii: "/"): "/",
                        UInt8(ascii: "b"): "\u{08}", UInt8(ascii: "f"): "\u{0C}", UInt8(ascii: "n"): "\n",
                        UInt8(ascii: "r"): "\r", UInt8(ascii: "t"): "\t",
                    ]
                    if let replacement = simple[escape] {
                        run += Array(replacement.utf8)
                    } else if escape == UInt8(ascii: "u") {
                        guard let scalar = unicodeEscape() else { return nil }
                        run += Array(String(Character(scalar)).utf8)
                    } else {
                        return nil
                    }
                case 0..<0x20:
                    return nil
                default:
                    run.append(byte)
                }
            }
            return nil
        }

        /// The scalar of `XXXX` after `\u` (joining a surrogate pair); U+FFFD for a lone surrogate.
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let high = hex4() else { return nil }
            if (0xD800..<0xDC00).contains(high), take("\\u") {
                guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            }
            return Unicode.Scalar(high) ?? "\u{FFFD}"
        }

        mutating func hex4() -> UInt32? {
            guard bytes.count - index >= 4 else { return nil }
            let text = String(decoding: bytes[index..<index + 4], as: UTF8.self)
            index += 4
            return UInt32(text, radix: 16)
        }
    }

    // MARK: - Rendering

    /// The JSON text: two-space indentation with one member or item per line when `pretty`,
    /// compact otherwise. Empty objects and arrays print as `{}` and `[]`.
    package func rendered(pretty: Bool = true) -> String {
        var out = ""
        render(into: &out, pretty: pretty, level: 0)
        return out
    }

    private func render(into out: inout String, pretty: Bool, level: Int) {
        let newline = pretty ? "\n" + String(repeating: "  ", count: level + 1) : ""
        let closing = pretty ? "\n" + String(repeating: "  ", count: level) : ""
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): out += JSONString.quoted(text)
        case .array(let items) where items.isEmpty: out += "[]"
        case .object(let members) where members.isEmpty: out += "{}"
        case .array(let items):
            out += "["
            for (position, item) in items.enumerated() {
                out += (position == 0 ? "" : ",") + newline
                item.render(into: &out, pretty: pretty, level: level + 1)
            }
            out += closing + "]"
        case .object(let members):
            out += "{"
            for (position, member) in members.enumerated() {
                out += (position == 0 ? "" : ",") + newline + JSONString.quoted(member.key) + (pretty ? ": " : ":")
                member.value.render(into: &out, pretty: pretty, level: level + 1)
            }
            out += closing + "}"
        }
    }
}
