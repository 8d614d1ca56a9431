import Testing
import OCISpec
@testable import Runtime

@Suite struct SignalsTests {
    @Test("signals parse by name, SIG name and number",
          arguments: [("TERM", Int32(15)), ("SIGKILL", 9), ("kill", 9), ("10", 10), ("HUP", 1)])
    func parse(text: String, number: Int32) throws {
        #expect(try Signals.number(text, container: "c") == number)
    }

    @Test("an unknown signal is rejected", arguments: ["FOO", "SIGFOO", "0", "65", ""])
    func unknown(text: String) {
        #expect(throws: RuntimeError.self) { try Signals.number(text, container: "c") }
    }
}
