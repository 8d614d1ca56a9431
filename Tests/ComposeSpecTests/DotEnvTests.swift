import Testing
@testable import ComposeSpec

/// Cases from compose-go's `dotenv` tests and fixtures.
@Suite struct DotEnvTests {
    static func single(_ text: String, lookup: (String) -> String? = { _ in nil }) throws -> [String] {
        try DotEnv.parse(text, lookup: lookup).map { "\($0.key)=\($0.value)" }
    }

    @Test("parses one assignment as compose-go does", arguments: [
        ("FOO=bar", "FOO=bar"),
        ("FOO =bar", "FOO=bar"),
        ("FOO= bar", "FOO=bar"),
        (#"FOO="bar""#, "FOO=bar"),
        ("FOO='bar'", "FOO=bar"),
        (#"FOO="escaped\"bar""#, #"FOO=escaped"bar"#),
        (#"FOO="\"quoted\"""#, #"FOO="quoted""#),
        (#"FOO="'d'""#, "FOO='d'"),
        ("OPTION_A: 1", "OPTION_A=1"),
        ("OPTION_A: Foo=bar", "OPTION_A=Foo=bar"),
        ("OPTION_A=1:B", "OPTION_A=1:B"),
        ("export OPTION_A=2", "OPTION_A=2"),
        (#"export OPTION_B='\n'"#, #"OPTION_B=\n"#),
        ("export exportFoo=2", "exportFoo=2"),
        ("exportFOO=2", "exportFOO=2"),
        ("export_FOO =2", "export_FOO=2"),
        ("export.FOO= 2", "export.FOO=2"),
        ("export\tOPTION_A=2", "OPTION_A=2"),
        ("  export OPTION_A=2", "OPTION_A=2"),
        ("\texport OPTION_A=2", "OPTION_A=2"),
        (#"export OPTION_A="export A""#, "OPTION_A=export A"),
        (#"FOO="bar\nbaz""#, "FOO=bar\nbaz"),
        (#"FOO=a\tb"#, #"FOO=a\tb"#),
        (#"FOO="a\tb""#, "FOO=a\tb"),
        (#"KEY="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z""#, "KEY=Z\u{07}Z\u{08}Z\u{0C}Z\nZ\rZ\tZ\u{0B}Z\\ZSZ"),
        ("FOO.BAR=foobar", "FOO.BAR=foobar"),
        ("FOO=foobar=", "FOO=foobar="),
        ("FOO=bar ", "FOO=bar"),
        ("FOO=bar # this is foo", "FOO=bar"),
        ("FOO=bar #this is foo", "FOO=bar"),
        ("FOO=bar #", "FOO=bar"),
        ("FOO=123#not-an-inline-comment", "FOO=123#not-an-inline-comment"),
        (#"FOO="bar#baz""#, "FOO=bar#baz"),
        (##"FOO="bar#baz"#"##, "FOO=bar#baz"),
        (#"FOO="bar#baz" # comment"#, "FOO=bar#baz"),
        ("FOO='bar#baz' # comment", "FOO=bar#baz"),
        (#"FOO="bar\n\ b\az""#, "FOO=bar\n\\ b\u{07}z"),
        (#"FOO="bar\\\n\ b\az""#, "FOO=bar\\\n\\ b\u{07}z"),
        (#"FOO="bar\\r\ b\az""#, "FOO=bar\\r\\ b\u{07}z"),
        (#"FOO="bar\nbaz\\""#, "FOO=bar\nbaz\\"),
        (#"="value""#, "=value"),
        (" KEY =value", "KEY=value"),
        ("\tKEY=value", "KEY=value"),
        (#"KEY="\0123""#, "KEY=S"),
        (#"KEY="\012""#, #"KEY=\012"#),
        (#"KEY="\0777""#, #"KEY=\0777"#),
        (#"KEY="\x07""#, #"KEY=\x07"#),
        (#"KEY="\u12e4""#, #"KEY=\u12e4"#),
        (#"KEY="\c""#, #"KEY=\c"#),
        ("OPTION_K='Let\\'s go!'", "OPTION_K=Let's go!"),
        (#"OPTION_D='\n'"#, #"OPTION_D=\n"#),
        ("KEY= #not a comment", "KEY=#not a comment"),
        ("KEY=value\r\n", "KEY=value"),
        ("\u{FEFF}KEY=value", "KEY=value"),
        ("árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép", "árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép"),
        ("a[1]=c", "a[1]=c"),
        ("TEST_URLS=\"stratum+tcp://a:3333\nstratum+tcp://b:443\"", "TEST_URLS=stratum+tcp://a:3333\nstratum+tcp://b:443"),
    ] as [(String, String)])
    func parsesAssignment(text: String, expected: String) throws {
        #expect(try Self.single(text) == [expected])
    }

    @Test("reads a whole file in order, skipping comments and blank lines")
    func wholeFile() throws {
        let text = """
            # some comments

            OPTION_A='1'
            OPTION_C=''
            OPTION_I = "echo 'asd'" # Inline comment
            OPTION_J = 'first line
            second line'
            \t # indented comment
            456 = ABC
            OPTION_F = 
            OPTION_H = my string # Inline comment
            OPTION_A=2
            """
        #expect(try Self.single(text) == [
            "OPTION_A=1", "OPTION_C=", "OPTION_I=echo 'asd'", "OPTION_J=first line\nsecond line", "456=ABC",
            "OPTION_F=", "OPTION_H=my string", "OPTION_A=2",
        ])
    }

    @Test("interpolates unquoted and double-quoted values from the environment, then earlier keys")
    func interpolation() throws {
        let text = """
            OPTION_A=1
            OPTION_B=${OPTION_A}
            OPTION_C=$OPTION_B
            OPTION_D=${OPTION_A}_${OPTION_B}
            OPTION_E=${OPTION_NOT_DEFINED}
            SINGLE='quote $OPTION_A'
            DOUBLE="quote $OPTION_A"
            ESCAPED="foo\\${OPTION_A} ${OPTION_A} \\$OPTION_A"
            FROM_ENV=${HOME:-/root}
            SHADOWED=$OPTION_A
            """
        let result = try Self.single(text) { $0 == "HOME" ? "/home/me" : $0 == "OPTION_A" ? "env" : nil }
        #expect(result == [
            "OPTION_A=1", "OPTION_B=env", "OPTION_C=env", "OPTION_D=env_env", "OPTION_E=",
            "SINGLE=quote $OPTION_A", "DOUBLE=quote env", "ESCAPED=foo${OPTION_A} env $OPTION_A",
            "FROM_ENV=/home/me", "SHADOWED=env",
        ])
        #expect(try Self.single("FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"\nDEF=${MISSING:-$FOO}") == [
            "FOO=test", "BAR=foo${FOO} test", "DEF=test",
        ])
    }

    @Test("takes a bare key's value from the lookup, or leaves it out")
    func inherited() throws {
        let lookup: (String) -> String? = { $0 == "KNOWN" ? "from env" : nil }
        #expect(try Self.single("KNOWN\nUNKNOWN\nA=1\nKNOWN", lookup: lookup) == ["KNOWN=from env", "A=1", "KNOWN=from env"])
    }

    @Test("rejects malformed lines with their line number", arguments: [
        ("lol$wut", 1, #"unexpected character "$" in variable name "lol$wut" (names are letters, digits and _ . - [ ])"#),
        ("%!(EXTRA string)=foo", 1, #"unexpected character "%" in variable name "%!(EXTRA string)=foo" (names are letters, digits and _ . - [ ])"#),
        ("# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nzot=qix", 7, "key cannot contain a space"),
        ("A=1\n\nMY KEY=1", 3, "key cannot contain a space"),
        ("A=1\nB=${C:?C is needed}", 2, "required variable C is missing a value: C is needed"),
        ("A=1\nB=\"${\"", 2, #"invalid interpolation format for "${" (write a literal $ as $$)"#),
        ("A=1\nKEY=\"value", 2, #"unterminated quoted value "value (add the closing ")"#),
    ] as [(String, Int, String)])
    func rejects(text: String, line: Int, message: String) {
        #expect(throws: DotEnvError(line: line, message: message)) { try DotEnv.parse(text, lookup: { _ in nil }) }
    }

    @Test("reports every unterminated quote", arguments: [
        #"KEY=""#, #"KEY="value"#, #"KEY="value\""#, #"KEY="value'"#, "KEY='", "KEY='value", #"KEY='value\'"#, #"KEY='value""#,
    ])
    func unterminated(text: String) {
        #expect {
            try DotEnv.parse(text, lookup: { _ in nil })
        } throws: { error in
            (error as? DotEnvError)?.message.hasPrefix("unterminated quoted value") == true
        }
    }

    @Test("ignores input that holds no statement", arguments: ["", "\n", "\r\n", "\t\t ", "# Comment", "\t # comment"])
    func nothing(text: String) throws {
        #expect(try DotEnv.parse(text, lookup: { _ in "x" }).isEmpty)
    }
}
