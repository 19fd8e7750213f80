import ArgumentParser

extension ParsableCommand {
    /// For a chapter's option tests: parses the defaults and each command line of `cases`,
    /// and lists what went otherwise than expected. Each command line must be refused
    /// before any work (in `validate()` or by the parser) with a message that contains its
    /// fragment and the usage exit code (64), and the defaults must be accepted. An empty
    /// list means all went as expected.
    public static func optionRefusalProblems(_ cases: [([String], String)]) -> [String] {
        var problems: [String] = []
        do { _ = try parseAsRoot([]) } catch { problems.append("the defaults are refused: \(message(for: error))") }
        for (arguments, fragment) in cases {
            do {
                _ = try parseAsRoot(arguments)
                problems.append("\(arguments) is accepted; it should be refused with \"\(fragment)\"")
            } catch {
                let text = message(for: error), code = exitCode(for: error)
                if !text.contains(fragment) { problems.append("\(arguments): \"\(text)\" lacks \"\(fragment)\"") }
                if code != .validationFailure { problems.append("\(arguments): exit code \(code.rawValue), not 64") }
            }
        }
        return problems
    }
}
