import ArgumentParser
import Foundation
import NeuralKit

/// The options every chapter takes (DESIGN.md's conventions).
public struct ChapterOptions: ParsableArguments {
    @Option(help: "A folder laid out like the course's shared data (conll2003/, ptb/, ...). Without it, the bundled sample is used.")
    public var dataDir: String?

    @Option(help: "Seed of the random generator: the same seed gives the same output.")
    public var seed: UInt64 = 1

    @Option(help: "Where the chapter's figures are written.")
    public var figures = "Figures"

    @Option(help: "Write the results as JSON to this file.")
    public var json: String?

    @Option(help: """
        exact: the same output on every machine, bit for bit (the default on the bundled sample); \
        fast: OpenBLAS and the CPU's widest vectors (the default with --data-dir; the last digits can differ between machines).
        """)
    public var kernels: Kernels.Choice?

    public init() {}

    /// The kernels this run uses: `--kernels`, else exact on the sample and fast with
    /// `--data-dir`.
    public var kernelChoice: Kernels.Choice { kernels ?? (dataDir == nil ? .exact : .fast) }

    /// Sets the kernels for the whole run and prints which (call it once, after the title).
    public func useKernels() {
        Kernels.choice = kernelChoice
        say(Kernels.summary + "\n")
    }
}

extension Kernels.Choice: ExpressibleByArgument {}

/// Prints a line at once (unbuffered), so progress shows up live in a pipe or a log file.
public func say(_ line: String) {
    FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!)
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Training that went wrong, named by where it happened.
public enum TrainingError: Error, CustomStringConvertible {
    case nonFiniteLoss(epoch: Int, step: Int)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let epoch, let step):
            return "training stopped: the loss became NaN or infinite at epoch \(epoch), step \(step); "
                + "try a smaller --learning-rate"
        }
    }
}

/// Writes a chapter's results as pretty-printed JSON with sorted snake_case keys; an
/// infinite perplexity is written as the string "Infinity".
public func writeResults<T: Encodable>(_ results: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    try encoder.encode(results).write(to: URL(fileURLWithPath: path))
    say("Results written to \(path)")
}
