import ArgumentParser
import ChapterKit

/// Chapter 3 on the command line: its options, checked before any work. What it runs is
/// `story(_:)`, between the set-up and the results that every chapter shares (`Chapter`).
@main
struct Chapter03: Chapter {
    static let configuration = CommandConfiguration(
        commandName: "Chapter03", abstract: "n-gram language models: counting, sparsity, smoothing, perplexity.")

    @OptionGroup var options: ChapterOptions

    @Option(help: "The highest n-gram order.")
    var order = 5

    @Flag(inversion: .prefixedNo, help: """
        Where the training text is too small to estimate an order's Kneser-Ney discounts, use KenLM's fixed \
        fallback discounts 0.5, 1, 1.5 for that order (as lmplz --discount_fallback) instead of stopping \
        (default: on for the bundled sample, off with --data-dir).
        """)
    var discountFallback: Bool?

    func validate() throws {
        // The walk-through is about trigrams (so at least 3); keys pack the n words in 128
        // bits (NGramCounts), so a 10,000-word vocabulary allows at most 9.
        try OptionCheck.within(3...9, order, "--order")
    }
}

/// The results are what `--json FILE` writes, with the run's total time.
extension Results: ChapterResults {}
