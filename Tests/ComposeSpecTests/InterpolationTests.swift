import Synchronization
import Testing
@testable import ComposeSpec

/// Cases from compose-go's `template` tests, plus the corners of its regex-based scanner.
@Suite struct InterpolationTests {
    static let environment: [String: String] = ["FOO": "first", "BAR": "", "JSON": #"{"json":2}"#]
    static let interpolator = Interpolator { environment[$0] }

    @Test("substitutes variables, defaults, alternatives and escapes as compose-go does", arguments: [
        ("foo", "foo"),
        ("$${foo}", "${foo}"),
        ("$$FOO", "$FOO"),
        ("This $FOO var", "This first var"),
        ("This ${FOO} var", "This first var"),
        ("This ${missing} var", "This  var"),
        ("This ${BAR} var", "This  var"),
        ("$FOO-bar", "first-bar"),
        ("${FOO}${FOO}", "firstfirst"),
        ("$foo_1x", ""),
        ("${JSON}", #"{"json":2}"#),
        ("ok ${missing:-def}", "ok def"),
        ("ok ${missing-def}", "ok def"),
        ("ok ${BAR:-def}", "ok def"),
        ("ok ${FOO:-def}", "ok first"),
        ("ok ${BAR-def}", "ok "),
        ("ok ${UNSET_VAR:+presence_value}", "ok "),
        ("ok ${UNSET_VAR+presence_value}", "ok "),
        ("ok ${FOO:+presence_value}", "ok presence_value"),
        ("ok ${FOO+presence_value}", "ok presence_value"),
        ("ok ${BAR+presence_value}", "ok presence_value"),
        ("ok ${BAR:+presence_value}", "ok "),
        ("ok ${BAR:-/non:-alphanumeric}", "ok /non:-alphanumeric"),
        ("ok ${FOO:?err}", "ok first"),
        ("ok ${FOO?err}", "ok first"),
        ("ok ${BAR?err}", "ok "),
        ("${A:+${A},}B", "B"),
        ("${A:-${B}}", ""),
        ("-ok ${BAR:-defaultValue}", "-ok defaultValue"),
        ("+ok ${UNSET:-${BAR-defaultValue}}", "+ok "),
        (":-ok ${UNSET-defaultValue}", ":-ok defaultValue"),
        (":?ok ${BAR-defaultValue}", ":?ok "),
        ("?ok ${BAR:-defaultValue}", "?ok defaultValue"),
        ("ok ${UNSET_VAR-$FOO}", "ok first"),
        ("ok ${UNSET_VAR-${FOO}}", "ok first"),
        ("ok ${UNSET_VAR-${FOO} ${FOO}}", "ok first first"),
        ("ok ${BAR:-${FOO} ${FOO}}", "ok first first"),
        ("ok ${BAR+$FOO ${FOO:+second}}", "ok first second"),
        ("${A:-${B:-${FOO}}}", "first"),
        ("${A:-x} and ${B:-y}", "x and y"),
        ("${A:-x} and ${FOO}", "x and first"),
        ("${A:-}}", "}"),
        ("${A:-{x}", "{x"),
        ("${A:-$$}", "$"),
        ("a\n${A:-x}\n${B:-y}", "a\nx\ny"),
        ("${A-x}${FOO}", "xfirst"),
        ("héllo ${FOO} wörld", "héllo first wörld"),
    ] as [(String, String)])
    func substitutes(template: String, expected: String) throws {
        #expect(try Self.interpolator.interpolate(template) == expected)
    }

    @Test("keeps a $ that does not start an expression", arguments: ["a $ string", "^REGEX$", "$}", "$", "$1", "100$ off", "$-x"])
    func keepsLoneDollar(template: String) throws {
        #expect(try Self.interpolator.interpolate(template) == template)
    }

    @Test("rejects a malformed ${ naming the template", arguments: [
        "${", "${}", "${ }", "${ foo}", "${foo }", "${foo!}", "${foo:x}", "${foo:-x", "${1A}", "x ${A:-\n}",
    ])
    func rejectsMalformed(template: String) {
        #expect(throws: ComposeValueError(
            "invalid interpolation format for \"\(template)\" (write a literal $ as $$)")) {
            try Self.interpolator.interpolate(template)
        }
    }

    @Test("names the innermost template when a nested default is malformed")
    func nestedMalformed() {
        #expect(throws: ComposeValueError("invalid interpolation format for \"${}\" (write a literal $ as $$)")) {
            try Self.interpolator.interpolate("${A:-${}}")
        }
    }

    @Test("reports a missing required variable with the user's message", arguments: [
        ("not ok ${UNSET_VAR:?Mandatory Variable Unset}", "required variable UNSET_VAR is missing a value: Mandatory Variable Unset"),
        ("not ok ${BAR:?Mandatory Variable Empty}", "required variable BAR is missing a value: Mandatory Variable Empty"),
        ("not ok ${UNSET_VAR:?}", "required variable UNSET_VAR is missing a value"),
        ("not ok ${UNSET_VAR?Mandatory Variable Unset}", "required variable UNSET_VAR is missing a value: Mandatory Variable Unset"),
        ("not ok ${UNSET_VAR?}", "required variable UNSET_VAR is missing a value"),
        ("not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}", "required variable UNSET_VAR is missing a value: Mandatory Variable first"),
        ("${A:-${B:?b is needed}}", "required variable B is missing a value: b is needed"),
        ("${FOO} ${A:-x} ${C?c}", "required variable C is missing a value: c"),
    ] as [(String, String)])
    func requiredMissing(template: String, message: String) {
        #expect(throws: ComposeValueError(message)) { try Self.interpolator.interpolate(template) }
    }

    @Test("evaluates defaults and messages only when used")
    func lazyOperands() throws {
        let looked = LookupLog()
        let interpolator = Interpolator { name in
            looked.append(name)
            return name == "A" ? "value" : nil
        }
        #expect(try interpolator.interpolate("${A?${B}} ${A:-${C}}") == "value value")
        #expect(looked.names == ["A", "A"])
    }

    @Test("returns a string without $ without looking anything up")
    func untouchedWithoutDollar() throws {
        let looked = LookupLog()
        let interpolator = Interpolator { looked.append($0); return "x" }
        let text = String(repeating: "plain text {with} braces: ", count: 100)
        #expect(try interpolator.interpolate(text) == text)
        #expect(looked.names.isEmpty)
    }
}

/// Records the names an interpolator asks for.
final class LookupLog: Sendable {
    private let storage = Mutex<[String]>([])
    var names: [String] { storage.withLock { $0 } }
    func append(_ name: String) { storage.withLock { $0.append(name) } }
}
