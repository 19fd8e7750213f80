import ArgumentParser
import ChapterKit

/// Chapter 9 on the command line: its options, checked before any work. What it runs is
/// `story(_:)`, between the set-up and the results that every chapter shares (`Chapter`).
@main
struct Chapter09: Chapter {
    static let configuration = CommandConfiguration(
        commandName: "Chapter09", abstract: "Applications of RNNs: a (bi)LSTM NER tagger, LSTM sentence classifiers, an encoder–decoder.")

    @OptionGroup var options: ChapterOptions

    @OptionGroup var checkpoints: CheckpointOptions

    @Option(help: "Tagger: training epochs (default: 20 on CoNLL-2003, 5 on the sample).")
    var taggerEpochs: Int?

    @Option(help: "Tagger: LSTM hidden size per direction.")
    var taggerHidden = 100

    @Option(help: "Tagger: word vector size.")
    var taggerEmbedding = 100

    @Option(help: "Tagger: with N > 0, also train a BiLSTM-CRF that reads each word's characters with a BiLSTM of N per direction (Lample et al. use 25).")
    var taggerCharacters = 0

    @Option(help: "Sentence classifiers: training epochs (default: 4 on the treebank, 5 on the sample).")
    var classifierEpochs: Int?

    @Option(help: "Sentence classifiers: train on whole sentences or on every labelled phrase of the training trees.")
    var trainOn = "sentences"

    @Option(help: "Encoder–decoder: training and held-out dates.")
    var dates = "6000,1000"

    @Option(help: "Encoder–decoder: training epochs.")
    var dateEpochs = 6

    func validate() throws {
        try OptionCheck.atLeast(1, taggerEpochs, "--tagger-epochs")
        try OptionCheck.atLeast(1, taggerHidden, "--tagger-hidden")
        try OptionCheck.atLeast(1, taggerEmbedding, "--tagger-embedding")
        try OptionCheck.within(0...1000, taggerCharacters, "--tagger-characters")
        try OptionCheck.atLeast(1, classifierEpochs, "--classifier-epochs")
        try OptionCheck.oneOf(trainOn, ["sentences", "phrases"], "--train-on")
        let counts = try OptionCheck.positiveList(dates, "--dates", count: 2, example: "6000,1000")
        // There are 73,049 dates from 1900 to 2099; held-out dates must be ones training did
        // not draw, so training may not draw (nearly) all of them.
        guard counts[0] <= 200_000, counts[1] <= 100_000 else {
            throw ValidationError("--dates allows at most 200000 training and 100000 held-out dates "
                                  + "(there are 73,049 dates from 1900 to 2099, and held-out ones must be unseen in training); got \(dates)")
        }
        try OptionCheck.atLeast(1, dateEpochs, "--date-epochs")
        // the tagger: E (CoNLL's |V| is about 24,000 × d), two directions of 4 gates of H × (H + d)
        let (d, h) = (Double(taggerEmbedding), Double(taggerHidden))
        try OptionCheck.fitsInMemory(scalars: 24_000 * d + 8 * h * (h + d + 1) + 18 * h,
                                     what: "The BiLSTM tagger", options: "--tagger-hidden or --tagger-embedding")
    }
}

/// The results are what `--json FILE` writes, with the run's total time.
extension Results: ChapterResults {}
