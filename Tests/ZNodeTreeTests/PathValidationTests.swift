import Testing

@testable import ZNodeTree

/// `PathUtils.validatePath` rules (protocol reference §1.4).
@Suite("PathValidation")
struct PathValidationTests {
    @Test(arguments: [
        "/", "/a", "/a/b/c", "/zookeeper/quota", "/a.b", "/.a", "/a.", "/...", "/a/.../b", "/a b", "/ä/ü",
        "/\u{A0}", "/\u{D7FF}", "/\u{F900}", "/\u{FFEF}", "/x-0000000001", String(repeating: "/n", count: 200),
    ])
    func validPaths(path: String) {
        #expect(PathValidation.validate(path) == nil)
        #expect(PathValidation.validate(path, sequential: true) == nil)
    }

    @Test(arguments: [
        ("", PathValidation.Problem.empty),
        ("a", .notAbsolute),
        ("a/b", .notAbsolute),
        ("/a/", .trailingSlash),
        ("//", .trailingSlash),
        ("/a//b", .emptyComponent),
        ("//a", .emptyComponent),
        ("/a/.", .relativeComponent),
        ("/a/..", .relativeComponent),
        ("/.", .relativeComponent),
        ("/..", .relativeComponent),
        ("/./a", .relativeComponent),
        ("/a/../b", .relativeComponent),
        ("/a\u{0}b", .invalidCharacter(0)),
        ("/a\u{1}", .invalidCharacter(1)),
        ("/\u{1F}", .invalidCharacter(0x1F)),
        ("/a\tb", .invalidCharacter(9)),
        ("/a\u{7F}", .invalidCharacter(0x7F)),
        ("/\u{80}", .invalidCharacter(0x80)),
        ("/\u{9F}", .invalidCharacter(0x9F)),
        ("/\u{E000}", .invalidCharacter(0xE000)),
        ("/\u{F8FF}", .invalidCharacter(0xF8FF)),
        ("/\u{FFF0}", .invalidCharacter(0xFFF0)),
        ("/a\u{FFF5}", .invalidCharacter(0xFFF5)),
        ("/\u{FFFF}", .invalidCharacter(0xFFFF)),
        // Java strings are UTF-16: a character outside the BMP is a surrogate pair, and surrogates
        // (U+D800...) are refused, so ZooKeeper refuses every such character.
        ("/emoji\u{1F600}", .invalidCharacter(0x1F600)),
        ("/\u{10000}", .invalidCharacter(0x10000)),
    ])
    func invalidPaths(path: String, problem: PathValidation.Problem) {
        #expect(PathValidation.validate(path) == problem, "\(path.debugDescription)")
    }

    /// `PathUtils.validatePath(path, isSequential)` judges `path + "1"`: the suffix completes the name.
    @Test func sequentialPathsAreJudgedWithTheSuffix() {
        #expect(PathValidation.validate("/a/", sequential: true) == nil)
        #expect(PathValidation.validate("/", sequential: true) == nil)
        #expect(PathValidation.validate("/a/.", sequential: true) == nil)
        #expect(PathValidation.validate("/a/..", sequential: true) == nil)
        #expect(PathValidation.validate("/a/.0000000001") == nil)
        #expect(PathValidation.validate("/a//", sequential: true) == .emptyComponent)
        #expect(PathValidation.validate("/a/./", sequential: true) == .relativeComponent)
        #expect(PathValidation.validate("a", sequential: true) == .notAbsolute)
        #expect(PathValidation.validate("", sequential: true) == .notAbsolute)
        #expect(PathValidation.validate("/a\u{1}", sequential: true) == .invalidCharacter(1))
    }

    @Test(arguments: [
        ("/", "/", ""), ("/a", "/", "a"), ("/a/b", "/a", "b"), ("/a/b/c", "/a/b", "c"), ("/ä/ö", "/ä", "ö"),
    ])
    func parentAndName(path: String, parent: String, name: String) {
        #expect(PathValidation.parent(of: path) == parent)
        #expect(PathValidation.name(of: path) == name)
        if path != "/" { #expect(PathValidation.join(parent, name) == path) }
    }

    @Test func selfAndAncestorsGoesUpToTheRoot() {
        #expect(PathValidation.selfAndAncestors("/a/b/c") == ["/a/b/c", "/a/b", "/a", "/"])
        #expect(PathValidation.selfAndAncestors("/a") == ["/a", "/"])
        #expect(PathValidation.selfAndAncestors("/") == ["/"])
    }
}
