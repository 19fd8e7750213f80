import ChapterKit
import NGram
import NeuralKit
import TextData

/*: ## 1. The slides' example

 Suppose "students opened their" occurs 1000 times, 400 times followed by "books" and
 100 times by "exams". We build exactly such a corpus and let the 4-gram counts speak.
 <!-- output: The slides' example -->
*/
/// A corpus in which "students opened their" occurs 1000 times: 400 × books, 100 × exams,
/// 300 × minds, 200 × laptops.
func slidesCorpus() -> IndexedCorpus {
    var sentences: [[String]] = []
    for (word, times) in [("books", 400), ("exams", 100), ("minds", 300), ("laptops", 200)] {
        sentences += Array(repeating: ["students", "opened", "their", word], count: times)
    }
    let vocabulary = Vocabulary(counting: sentences.joined(), specials: [SentenceMarks.start, SentenceMarks.end])
    return IndexedCorpus(sentences: sentences, vocabulary: vocabulary)
}

func slidesExample() {
    let corpus = slidesCorpus()
    let v = corpus.vocabulary
    let model = MaximumLikelihoodModel(NGramCounts(corpus, order: 4), order: 4)
    let context = ["students", "opened", "their"].map(v.id)[...]
    say("## The slides' example: a 4-gram model")
    say("count(students opened their) = \(model.contextCount(context))")
    for word in ["books", "exams"] {
        let c = model.counts.count(Array(context) + [v.id(word)])
        let p = model.probability(of: v.id(word), after: context)!
        say("count(students opened their \(word)) = \(c)  →  P(\(word) | students opened their) = \(p)")
    }
}

/*: ## 2. Sparsity, and three repairs

 Two things go wrong with the ratio of counts. An n-gram never seen in training gets
 probability 0 — and one such word in the test text makes its perplexity infinite. A
 context never seen gives 0/0: no distribution at all.

 - **Add-δ smoothing** pretends every word was seen δ more times after every context.
 - **Backoff** uses the longest context that has seen the word, and hands the words it
   has not seen down to a shorter context ("opened their" instead of "students opened
   their"), with just enough weight that the probabilities still sum to 1.
 - **Interpolated Kneser-Ney** always mixes in the shorter context, and builds the
   shorter contexts from how many *different* words precede a word rather than how often
   it occurs.

 <!-- output: Sparsity -->
*/
func sparsity(counts: NGramCounts, kneserNey: KneserNeyModel, test: IndexedCorpus) {
    let v = test.vocabulary
    let mle = MaximumLikelihoodModel(counts, order: 3)
    func words(_ ids: [Int]) -> String { ids.map(v.word).joined(separator: " ") }
    var unseenGram: ([Int], Int)?, unseenContext: [Int]?
    search: for sentence in test.sentences {
        let line = [test.startID] + sentence
        for t in 2..<line.count {
            let h = Array(line[(t - 2)..<t])
            let seenContext = mle.contextCount(h[...]) > 0
            if seenContext, unseenGram == nil, !h.contains(test.startID), counts.count(h + [line[t]]) == 0 {
                unseenGram = (h, line[t])
            }
            if !seenContext, unseenContext == nil, !h.contains(test.startID) { unseenContext = h }
            if unseenGram != nil && unseenContext != nil { break search }
        }
    }
    say("\n## Sparsity (trigram counts)")
    if let (h, w) = unseenGram {
        say("\"\(words(h + [w]))\" never occurs in training, though \"\(words(h))\" does "
            + "(\(mle.contextCount(h[...])) times):")
        say("  maximum likelihood:   P(\(v.word(w)) | \(words(h))) = \(mle.probability(of: w, after: h[...])!)  "
            + "→ the test perplexity is infinite")
        let repairs: [(String, any LanguageModel)] = [
            ("add-δ (δ = 0.01)", AddDeltaModel(counts, order: 3, delta: 0.01)),
            ("backoff", BackoffModel(counts, order: 3)),
            ("Kneser-Ney", kneserNey),
        ]
        for (name, model) in repairs {
            let p = model.probability(of: w, after: h[...])!
            say("  " + "\(name):".padding(toLength: 22, withPad: " ", startingAt: 0) + "P = " + formatScientific(p))
        }
    }
    if let h = unseenContext {
        say("\"\(words(h))\" never occurs in training as a context: maximum likelihood has no "
            + "distribution after it (0/0); backoff and Kneser-Ney fall back to \"\(v.word(h[1]))\".")
    }
}

/*: ## 3. The next word, and generated text

 The slides show the distribution after "today the". A trigram model reads it straight
 off the counts; Kneser-Ney spreads a little of that mass over every other word.
 Sampling a word from the distribution, appending it, and repeating generates text.
 <!-- output: P(w | today the) -->
 <!-- output: Text sampled from -->
*/
func nextWords(counts: NGramCounts, kneserNey: KneserNeyModel, corpus: IndexedCorpus) {
    let v = corpus.vocabulary
    let context = [v.id("today"), v.id("the")][...]
    let mle = MaximumLikelihoodModel(counts, order: 3)
    say("\n## P(w | today the): the ten most likely next words")
    say("count(today the) = \(mle.contextCount(context))")
    guard let mleDistribution = mle.distribution(after: context) else {
        say("\"today the\" never occurs in training: the maximum-likelihood trigram has no distribution.")
        return
    }
    let kn = kneserNey
    let top = mleDistribution.filter { $0.probability > 0 }.sorted { $0.probability != $1.probability ? $0.probability > $1.probability : $0.id < $1.id }.prefix(10)
    say("  word            maximum likelihood   Kneser-Ney")
    for (id, p) in top {
        say("  " + v.word(id).padding(toLength: 16, withPad: " ", startingAt: 0)
            + String(format: "%8.3f            %8.3f", p, kn.probability(of: id, after: context)!))
    }
}

/// One word drawn from the model after `context`: every predicted id weighted by
/// P(w | context). (What `generate` draws at each step; a test checks the draws follow P.)
func sampleNextWord(_ model: KneserNeyModel, after context: ArraySlice<Int>, using generator: inout SeededGenerator) -> Int {
    let ids = model.predictedIDs
    let weights = ids.map { model.probability(of: $0, after: context)! }
    return ids[generator.categorical(weights)]
}

func generate(kneserNey model: KneserNeyModel, corpus: IndexedCorpus, seed: UInt64) {
    let v = corpus.vocabulary
    var generator = SeededGenerator(seed: seed)
    say("\n## Text sampled from the Kneser-Ney trigram model, starting with \"today the\" (seed \(seed))")
    for _ in 0..<3 {
        var words = [corpus.startID, v.id("today"), v.id("the")]
        while words.count < 40 {
            let next = sampleNextWord(model, after: words.suffix(model.order - 1), using: &generator)
            if next == corpus.endID { break }
            words.append(next)
        }
        say("  " + words.dropFirst().map(v.word).joined(separator: " "))
    }
}
