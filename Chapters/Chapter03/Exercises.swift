/*: ## Exercises

 1. **By hand.** With the slides' counts (1000, 400, 100), what is P(w | h) for a word seen
    0 times, with maximum likelihood and with add-δ for δ = 1 and |V| = 10,000?
 2. **(Coding) Add-δ.** Write `AddDeltaModel.probability` (in `Sources/NGram/SimpleModels.swift`):
    (count(h w) + δ) / (count(h) + δ(|V| − 1)), and 0 for `<s>`, which is never predicted
    (region `ch3-add-delta`). `Chapter03Tests.testAddDeltaByHand` checks it against counts
    worked out by hand, `Chapter03Tests.testAddDeltaDistributionsSumToOne` that every
    context's distribution sums to one over the whole vocabulary, `<s>` included.
 3. **(Coding) Kneser-Ney.** Write the discounted, interpolated probability of
    `KneserNeyModel` (in `Sources/NGram/KneserNey.swift`, region `ch3-kneser-ney`).
    `Chapter03Tests.testKneserNeyWorkedByHand` grades it on a corpus small enough to work out
    on paper; `testPennTreebankKneserNeyAgreesWithKenLM` (not graded: it needs the corpus)
    compares it with KenLM on the Penn Treebank.
 4. **Order.** Why does the perplexity of the maximum-likelihood model become infinite on
    the test set as the order grows, while Kneser-Ney's keeps falling?
*/
