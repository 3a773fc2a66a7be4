/// The `java.util.Properties.load` text format that `server.properties` uses.
///
/// Handled as `Properties.load` does: `#` and `!` comment lines, keys ending at the first unescaped
/// `=`, `:` or whitespace, lines continued by an odd number of trailing backslashes (the next line's
/// leading whitespace dropped), escapes `\t \n \r \f \uXXXX`, and `\x` meaning `x`. A later key
/// replaces an earlier one. The file is read as UTF-8 (Java 9+ reads ISO-8859-1 but ASCII is the same).
package enum JavaProperties {
    /// One `key=value` pair with the line it started on.
    package struct Entry: Hashable, Sendable {
        package var key: String
        package var value: String
        package var line: Int
    }

    /// The entries in file order (duplicates included; callers apply them in order).
    package static func parse(_ text: String) -> [Entry] {
        var entries: [Entry] = []
        var logical = ""
        var startLine = 0
        var continuing = false
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, rawLine) in lines.enumerated() {
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
            line = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
            if !continuing {
                if line.isEmpty || line.first == "#" || line.first == "!" { continue }
                startLine = index + 1
                logical = ""
            }
            let trailingBackslashes = line.reversed().prefix(while: { $0 == "\\" }).count
            if trailingBackslashes % 2 == 1 {
                logical += line.dropLast()
                continuing = true
                continue
            }
            logical += line
            continuing = false
            entries.append(splitEntry(logical, line: startLine))
        }
        if continuing { entries.append(splitEntry(logical, line: startLine)) }
        return entries
    }

    private static func splitEntry(_ text: String, line: Int) -> Entry {
        let characters = Array(text)
        var index = 0
        var keyEnd = characters.count
        while index < characters.count {
            let character = characters[index]
            if character == "\\" {
                index += 2
                continue
            }
            if character == "=" || character == ":" || character == " " || character == "\t" || character == "\u{0C}" {
                keyEnd = index
                break
            }
            index += 1
        }
        var valueStart = min(keyEnd, characters.count)
        while valueStart < characters.count, " \t\u{0C}".contains(characters[valueStart]) { valueStart += 1 }
        if valueStart < characters.count, characters[valueStart] == "=" || characters[valueStart] == ":" {
            valueStart += 1
            while valueStart < characters.count, " \t\u{0C}".contains(characters[valueStart]) { valueStart += 1 }
        }
        let key = unescape(characters[0..<min(keyEnd, characters.count)])
        let value = unescape(characters[valueStart...])
        return Entry(key: key, value: value, line: line)
    }

    private static func unescape(_ characters: ArraySlice<Character>) -> String {
        var result = ""
        var index = characters.startIndex
        while index < characters.endIndex {
            let character = characters[index]
            index += 1
            guard character == "\\", index < characters.endIndex else {
                if character != "\\" { result.append(character) }
                continue
            }
            let escaped = characters[index]
            index += 1
            switch escaped {
            case "t": result.append("\t")
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "f": result.append("\u{0C}")
            case "u":
                let digits = String(characters[index..<min(index + 4, characters.endIndex)])
                if digits.count == 4, let scalar = UInt32(digits, radix: 16).flatMap(Unicode.Scalar.init) {
                    result.unicodeScalars.append(scalar)
                    index += 4
                } else {
                    result.append("u")
                }
            default: result.append(escaped)
            }
        }
        return result
    }
}
