/*: ## Exercises

 1. **The window's size.** The window here is ±2 words, x ∈ R^(5d). What does the
    dimension of W become for ±3 words, and how many parameters does that add for d = 50,
    H = 300? Check your count against `WindowClassifier.parameters`.
 2. **(Coding) The score and its gradient, by hand.** Write `windowScore` (in
    `HandGradient.swift`): s = uᵀ tanh(Wx + b) for one window, with plain arrays, no tape
    (region `ch1-window-score`, graded by `Chapter01Tests.testWindowScoreMatchesTheTape`).
    Then write `windowScoreGradients`: ∂s/∂u, ∂s/∂b, ∂s/∂W and ∂s/∂x by the chain rule
    (region `ch1-window-gradient`, graded by `Chapter01Tests.testWindowScoreGradientsMatchFiniteDifferences`
    and `Chapter01Tests.testWindowScoreGradientsMatchTheTape`).
 3. **Well-formed tags.** Find a sentence in the CoNLL dev output where reading the tags
    one by one gives `O I-ORG`. What does `IOBDecoder.decode` (in `Decoding.swift`) return
    instead, and why is that the best well-formed sequence?
    (`testWellFormedDecodingIsTheBestWellFormedSequence` checks it by enumeration.)
 4. **Features.** Train on CoNLL-2003 with `--minimum-count 1` and `5`. How does the
    share of `<unk>` words change, and which entity type's F1 moves most (the chapter
    prints per-type scores)?
*/
