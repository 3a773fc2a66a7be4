import JSON
import Testing

@Suite struct JSONValueParsingTests {
    private func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func parsingKeepsKeyOrderAndNumberText() throws {
        let value = try parse(#" {"b": 1e3, "a": [true, null, -0.5], "c": {}} "#)
        #expect(value.rendered() == #"{"b":1e3,"a":[true,null,-0.5],"c":{}}"#)
        #expect(value["a"] == .array([.bool(true), .null, .double(-0.5)]))
        #expect(value.members?.map(\.key) == ["b", "a", "c"])
    }

    @Test func roundTripsInEveryLayout() throws {
        let texts = [
            #"{"partitions":{"0":[1,2]},"topic_id":"AAAAAAAAAAAAAAAAAAAAAQ","adding_replicas":{},"version":3}"#,
            #"[1,-0,0.25,1E+2,"x",false,null,[],{}]"#,
            #"{"s":"tab\there \"q\" back\\slash \u0001"}"#,
        ]
        for text in texts {
            let value = try parse(text)
            #expect(value.rendered() == text)
            for layout in [JSONLayout.compact, .spaced, .indented(by: 1), .indented(by: 2)] {
                #expect(try parse(value.rendered(layout)) == value)
            }
        }
    }

    @Test func stringsUnescapeAndEscapeAgain() throws {
        let value = try parse(#"["tab\there", "\u00e9\ud83d\ude00", "q\"\\\/", "\b\f\n\r"]"#)
        #expect(value == .array([.string("tab\there"), .string("é😀"), .string("q\"\\/"), .string("\u{08}\u{0C}\n\r")]))
        #expect(value.rendered() == #"["tab\there","é😀","q\"\\/","\u0008\u000c\n\r"]"#)
        // A lone surrogate is U+FFFD, as before.
        #expect(try parse(#""\ud800""#) == .string("\u{FFFD}"))
        #expect(try parse(#""\udc00x""#) == .string("\u{FFFD}x"))
    }

    @Test func layouts() throws {
        let value = try parse(#"{"a":[1,2.5],"b":{},"c":[]}"#)
        #expect(value.rendered(.spaced) == #"{"a": [1, 2.5], "b": {}, "c": []}"#)
        #expect(value.rendered(.indented(by: 2)) == "{\n  \"a\": [\n    1,\n    2.5\n  ],\n  \"b\": {},\n  \"c\": []\n}")
        #expect(value.rendered(.indented(by: 1)) == "{\n \"a\": [\n  1,\n  2.5\n ],\n \"b\": {},\n \"c\": []\n}")
        #expect(JSONValue.object([]).rendered(.indented(by: 2)) == "{}")
    }

    @Test func integersStayExact() throws {
        let value = try parse(#"[9223372036854775807, -9223372036854775808, 9223372036854775808, 7.0, 7e0, 7.5, 1e400, 123456789012345678901234567890]"#)
        let items = try #require(value.items)
        #expect(items.map(\.int64) == [.max, .min, nil, 7, 7, nil, nil, nil])
        #expect(value.rendered() == #"[9223372036854775807,-9223372036854775808,9223372036854775808,7.0,7e0,7.5,1e400,123456789012345678901234567890]"#)
        #expect(JSONValue.int(Int64.max).rendered() == "9223372036854775807")
        #expect(JSONValue.int(UInt64.max).rendered() == "18446744073709551615")
    }

    @Test func doublesRenderShortestAndNonFiniteAsNull() {
        #expect(JSONValue.double(5).rendered() == "5.0")
        #expect(JSONValue.double(0.1).rendered() == "0.1")
        #expect(JSONValue.double(.nan) == .null)
        #expect(JSONValue.double(.infinity) == .null)
        #expect(JSONValue.double(nil) == .null)
        #expect(JSONNumber(text: "1e-05") != nil && JSONNumber(text: "01") == nil && JSONNumber(text: "1.") == nil)
    }

    @Test func repeatedKeysReadAsTheLast() throws {
        let value = try parse(#"{"a":1,"a":2}"#)
        #expect(value["a"] == .int(2))
        #expect(value.rendered() == #"{"a":1,"a":2}"#)
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "[,1]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "01", "01x", "1.", ".5", "-", "+1", "1e", "1e+",
        "0x10", "tru", "nul", "True", "NaN", "Infinity", "\"open", "\"bad \\x escape\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"\\ud800\\u0041\"", "\"tab\there\"", "[1] 2", "{} {}", "'single'", "[1 2]", "\"\\",
    ])
    func malformedTextIsRefused(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
        #expect(JSONValue(parsing: text) == nil)
    }

    @Test func invalidUTF8InAStringIsRefused() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xFF, 0xFE, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x22]) }
    }

    @Test func truncatedInputIsRefusedAtEveryLength() throws {
        let text = Array(#"{"a":[1,{"b":"c\u00e9"}],"d":-1.5e3,"e":true}"#.utf8)
        _ = try JSONValue.parse(text)
        for length in 0..<text.count {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text[..<length])) }
        }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: JSONValue.maxDepth) + String(repeating: "]", count: JSONValue.maxDepth)
        #expect(JSONValue(parsing: deep) != nil)
        let tooDeep = "[" + deep + "]"
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(tooDeep.utf8)) }
        // A megabyte of openers is refused early, without exhausting the stack.
        #expect(throws: JSONParseError.self) { try JSONValue.parse([UInt8](repeating: UInt8(ascii: "["), count: 1 << 20)) }
        #expect(throws: JSONParseError.self) {
            try JSONValue.parse(Array(String(repeating: #"{"a":"#, count: 100_000).utf8))
        }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array("[[1]]".utf8), maxDepth: 1) }
    }

    @Test func hugeNumbersParseWithoutTrapping() throws {
        let digits = String(repeating: "9", count: 100_000)
        let value = try parse(digits)
        #expect(value.int64 == nil)
        #expect(value.rendered() == digits)
        #expect(try parse("-" + digits + "e99999999999999999999").int64 == nil)
        #expect(try parse("1e-99999999999999999999").int64 == 0)
    }

    @Test func errorsSayWhere() {
        #expect(throws: JSONParseError(offset: 6, reason: "expected ',' or ']'")) { try JSONValue.parse(Array("[1, 2 3]".utf8)) }
    }
}
