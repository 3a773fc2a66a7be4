/// Znode path rules (`PathUtils.validatePath`; programmer's guide "ZNodes").
package enum PathValidation {
    /// Why a path was refused; the server answers `BADARGUMENTS` for all of them.
    package enum Problem: Equatable, Sendable {
        case empty
        case notAbsolute
        case trailingSlash
        case emptyComponent
        case relativeComponent
        case invalidCharacter(UInt32)
    }

    /// Validates `path`. `sequential` judges the path as the sequence suffix will complete it
    /// (`PathUtils.validatePath(path, isSequential)` appends "1"), so "/a/" and "/a/." pass.
    package static func validate(_ path: String, sequential: Bool = false) -> Problem? {
        if sequential { return validate(path + "1") }
        let utf8 = path.utf8
        guard let first = utf8.first else { return .empty }
        guard first == UInt8(ascii: "/") else { return .notAbsolute }
        if utf8.count == 1 { return nil }
        if utf8.last == UInt8(ascii: "/") { return .trailingSlash }
        var componentLength = 0
        var componentIsDots = true
        var index = 0
        for scalar in path.unicodeScalars {
            defer { index += 1 }
            if index == 0 { continue }
            let v = scalar.value
            if v == 0x2F {  // '/'
                if componentLength == 0 { return .emptyComponent }
                if componentIsDots && componentLength <= 2 { return .relativeComponent }
                componentLength = 0
                componentIsDots = true
                continue
            }
            // Java checks UTF-16 units: a character above U+FFFF is a surrogate pair, and
            // surrogates (U+D800...U+DFFF) fall in the refused U+D800...U+F8FF range.
            if v <= 0x1F || (0x7F...0x9F).contains(v) || (0xD800...0xF8FF).contains(v) || v >= 0xFFF0 {
                return .invalidCharacter(v)
            }
            componentLength += 1
            if v != 0x2E { componentIsDots = false }
        }
        if componentLength > 0 && componentIsDots && componentLength <= 2 { return .relativeComponent }
        return nil
    }

    /// The parent of an absolute, validated path (`/` for top-level nodes).
    package static func parent(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "/" }
        if slash == path.utf8.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of an absolute path ("" for the root).
    package static func name(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[path.utf8.index(after: slash)...])
    }

    /// `parent` + "/" + `name`, without doubling the root's slash.
    package static func join(_ parent: String, _ name: String) -> String {
        parent == "/" ? "/" + name : parent + "/" + name
    }

    /// `path` itself and each of its ancestors up to the root, deepest first.
    package static func selfAndAncestors(_ path: String) -> [String] {
        var result = [path]
        var current = path
        while current != "/" {
            current = parent(of: current)
            result.append(current)
        }
        return result
    }
}
