import ArgumentParser
import Foundation
import NeuralKit

/// A chapter of the book as a command-line program.
///
/// A chapter says what it is about (`title`) and what it does (`story(_:)`); the default
/// `run()` does what every chapter does around that, in this order:
///
/// 1. sets the OpenBLAS threads (`blasThreads`) and keeps large freed blocks for reuse
///    (`Memory.reuseLargeBlocks()`: a language model's step allocates batch × vocabulary
///    buffers, which are then reused instead of mapped afresh). Both are for speed: on the
///    exact kernels no printed number depends on them;
/// 2. prints the title as a Markdown heading, then sets the kernels and says which
///    (`ChapterOptions.useKernels()`);
/// 3. runs the story, which fills in the chapter's results;
/// 4. prints the total time, stores it in the results as `seconds`, and with `--json FILE`
///    writes the results there.
///
/// A chapter's `@main` struct declares its options (`ChapterOptions` and its own) and
/// checks them in `validate()`, which ArgumentParser runs before `run()`.
public protocol Chapter: ParsableCommand {
    /// What `--json FILE` writes.
    associatedtype Results: ChapterResults

    /// The chapter's title, printed first as a heading ("Chapter 7 · Long Short-Term Memory").
    static var title: String { get }

    /// The options every chapter takes: data, seed, figures, JSON, kernels.
    var options: ChapterOptions { get }

    /// OpenBLAS threads for the whole run: a chapter's `--blas-threads`, else 1. The
    /// mini-batch products of the chapters are small, and extra BLAS threads mostly spin
    /// (measured in Chapter 1: 2 threads were slower than 1).
    var blasThreads: Int { get }

    /// The chapter itself: what it computes and prints, in order, filling in `results`
    /// (all but `seconds`, which the runner measures).
    func story(_ results: inout Results) throws
}

/// The results a chapter writes with `--json FILE`: its own fields and the run's total time.
public protocol ChapterResults: Encodable {
    /// Results before the story fills them in.
    init()
    /// The whole run's wall-clock time, in seconds.
    var seconds: Double { get set }
}

extension Chapter {
    public var blasThreads: Int { 1 }

    /// The folder the chapter's figures are written to (`--figures`).
    public var figures: URL { URL(fileURLWithPath: options.figures, isDirectory: true) }

    /// The clock that times the run. `ContinuousClock` has no state of its own, so every
    /// instance reads the same monotonic clock: a story times its parts with `clock.now`.
    public var clock: ContinuousClock { ContinuousClock() }

    /// Runs the chapter: set up, title, story, total time, JSON (see ``Chapter``).
    public func run() throws {
        BLAS.threads = blasThreads
        Memory.reuseLargeBlocks()
        let start = clock.now
        say("# \(Self.title)\n")
        options.useKernels()
        var results = Results()
        try story(&results)
        results.seconds = (clock.now - start).seconds
        say(String(format: "\nTotal time: %.1f s", results.seconds))
        if let json = options.json { try writeResults(results, to: json) }
    }
}
