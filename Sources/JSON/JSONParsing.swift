/// Why bytes are not one JSON value, and where.
package struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Byte offset of the problem in the input.
    package var offset: Int
    package var reason: String

    package init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    package var description: String { "\(reason) at byte \(offset)" }
}

extension JSONValue {
    /// Objects and arrays nested deeper than this are refused, so hostile input cannot exhaust the stack.
    package static let maxDepth = 256

    /// The one JSON value (RFC 8259) `bytes` hold, whitespace around allowed. Strings must be UTF-8;
    /// a lone `\u` surrogate becomes U+FFFD. Never traps: malformed input is a `JSONParseError`.
    package static func parse(_ bytes: [UInt8], maxDepth: Int = maxDepth) throws(JSONParseError) -> JSONValue {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        let value = try parser.value(depth: 0)
        parser.skipBlanks()
        guard parser.index == bytes.count else { throw parser.error("text after the value") }
        return value
    }

    /// The JSON value `text` holds, or nil if it is not exactly one JSON value.
    package init?(parsing text: String) {
        guard let value = try? Self.parse(Array(text.utf8)) else { return nil }
        self = value
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var index = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

        mutating func skipBlanks() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func literal(_ text: String, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
            let expected = Array(text.utf8)
            guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
                throw error("not a JSON value")
            }
            index += expected.count
            return value
        }

        mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
            skipBlanks()
            guard index < bytes.count else { throw error("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < maxDepth else { throw error("nested deeper than \(maxDepth)") }
                return bytes[index] == UInt8(ascii: "{") ? try object(depth: depth) : try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default:
                guard let length = JSONNumber.numberLength(bytes, from: index) else { throw error("not a JSON value") }
                defer { index += length }
                return .number(JSONNumber.parsed(bytes[index..<index + length]))
            }
        }

        mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
            index += 1
            var members: [Member] = []
            skipBlanks()
            if take(UInt8(ascii: "}")) { return .object(members) }
            while true {
                skipBlanks()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try string()
                skipBlanks()
                guard take(UInt8(ascii: ":")) else { throw error("expected ':'") }
                members.append((key, try value(depth: depth + 1)))
                skipBlanks()
                if take(UInt8(ascii: "}")) { return .object(members) }
                guard take(UInt8(ascii: ",")) else { throw error("expected ',' or '}'") }
            }
        }

        mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
            index += 1
            var items: [JSONValue] = []
            skipBlanks()
            if take(UInt8(ascii: "]")) { return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipBlanks()
                if take(UInt8(ascii: "]")) { return .array(items) }
                guard take(UInt8(ascii: ",")) else { throw error("expected ',' or ']'") }
            }
        }

        /// A string literal starting at the opening quote.
        mutating func string() throws(JSONParseError) -> String {
            let start = index
            index += 1
            var run: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: run, as: UTF8.self) else {
                        throw JSONParseError(offset: start, reason: "string is not UTF-8")
                    }
                    return text
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { break }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): run.append(escape)
                    case UInt8(ascii: "b"): run.append(0x08)
                    case UInt8(ascii: "f"): run.append(0x0C)
                    case UInt8(ascii: "n"): run.append(0x0A)
                    case UInt8(ascii: "r"): run.append(0x0D)
                    case UInt8(ascii: "t"): run.append(0x09)
                    case UInt8(ascii: "u"): run += Array(String(Character(try unicodeEscape())).utf8)
                    default:
                        index -= 1
                        throw error("bad escape")
                    }
                case 0..<0x20:
                    index -= 1
                    throw error("control character in a string")
                default:
                    run.append(byte)
                }
            }
            throw JSONParseError(offset: start, reason: "unterminated string")
        }

        /// The scalar of `XXXX` after `\u`, joining a surrogate pair; U+FFFD for a lone surrogate.
        mutating func unicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
            let high = try hex4()
            if (0xD800..<0xDC00).contains(high), bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"),
                bytes[index + 1] == UInt8(ascii: "u")
            {
                index += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("bad surrogate pair") }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}"
            }
            return Unicode.Scalar(high) ?? "\u{FFFD}"
        }

        mutating func hex4() throws(JSONParseError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard index < bytes.count, let digit = Self.hexDigit(bytes[index]) else { throw error("bad \\u escape") }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        static func hexDigit(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
            default: nil
            }
        }
    }
}
