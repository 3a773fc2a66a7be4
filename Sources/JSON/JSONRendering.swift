/// How `JSONValue.rendered` lays text out. Empty objects and arrays are `{}` and `[]` in every layout.
package struct JSONLayout: Hashable, Sendable {
    /// Spaces per nesting level, one member or item per line, `": "` after keys; nil for one line.
    package var indent: Int?
    /// On one line, `", "` and `": "` (Python's `json.dumps`) rather than `","` and `":"`.
    package var spaced: Bool

    package init(indent: Int?, spaced: Bool) {
        self.indent = indent
        self.spaced = spaced
    }

    /// One line, no spaces: `{"a":[1,2]}`, as Jackson's default writer (and so Kafka's znodes).
    package static let compact = JSONLayout(indent: nil, spaced: false)
    /// One line with spaces: `{"a": [1, 2]}`, as Python's `json.dumps`.
    package static let spaced = JSONLayout(indent: nil, spaced: true)

    /// One member or item per line, `spaces` per level (`json.dump(indent=1)` for 1).
    package static func indented(by spaces: Int) -> JSONLayout { JSONLayout(indent: max(0, spaces), spaced: true) }
}

extension JSONValue {
    /// The JSON text of the value in `layout`.
    package func rendered(_ layout: JSONLayout = .compact) -> String {
        var out = ""
        write(to: &out, layout: layout, level: 0)
        return out
    }

    /// The compact JSON text as UTF-8 bytes (a znode payload).
    package var bytes: [UInt8] { Array(rendered().utf8) }

    private func write(to out: inout String, layout: JSONLayout, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let number): out += number.text
        case .string(let text): Self.writeQuoted(text, to: &out)
        case .array(let items) where items.isEmpty: out += "[]"
        case .object(let members) where members.isEmpty: out += "{}"
        case .array(let items):
            out += "["
            for (position, item) in items.enumerated() {
                Self.separate(&out, first: position == 0, layout: layout, level: level + 1)
                item.write(to: &out, layout: layout, level: level + 1)
            }
            Self.close(&out, layout: layout, level: level)
            out += "]"
        case .object(let members):
            out += "{"
            for (position, member) in members.enumerated() {
                Self.separate(&out, first: position == 0, layout: layout, level: level + 1)
                Self.writeQuoted(member.key, to: &out)
                out += layout.indent != nil || layout.spaced ? ": " : ":"
                member.value.write(to: &out, layout: layout, level: level + 1)
            }
            Self.close(&out, layout: layout, level: level)
            out += "}"
        }
    }

    /// What goes before an item or member: a comma unless first, then a line break and indentation.
    private static func separate(_ out: inout String, first: Bool, layout: JSONLayout, level: Int) {
        if let indent = layout.indent {
            out += (first ? "\n" : ",\n") + String(repeating: " ", count: indent * level)
        } else if !first {
            out += layout.spaced ? ", " : ","
        }
    }

    private static func close(_ out: inout String, layout: JSONLayout, level: Int) {
        guard let indent = layout.indent else { return }
        out += "\n" + String(repeating: " ", count: indent * level)
    }

    /// A JSON string literal (RFC 8259 §7): `"`, `\` and control characters escaped, everything
    /// else as is (UTF-8).
    static func writeQuoted(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
