import ArgumentParser
import Foundation
import NeuralKit
// The training layer (errors, checkpoints, Ctrl-C, say) comes with ChapterKit: a
// chapter imports one module for its command line and its training loop's plumbing.
@_exported import TrainingKit

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

    /// Sets the kernels for the whole run and prints which (the runner, `Chapter.run()`, calls
    /// it once, after the title).
    public func useKernels() {
        Kernels.choice = kernelChoice
        say(Kernels.summary + "\n")
    }
}

extension Kernels.Choice: ExpressibleByArgument {}

/// Writes a chapter's results as pretty-printed JSON with sorted snake_case keys; an
/// infinite perplexity is written as the string "Infinity". The file appears whole or
/// not at all (``atomicWrite(_:to:)``).
public func writeResults<T: Encodable>(_ results: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    try atomicWrite(encoder.encode(results), to: URL(fileURLWithPath: path))
    say("Results written to \(path)")
}
