/*: ## Exercises

 1. **Spans.** Read `I-PER I-PER B-PER O I-LOC` as IOB1 and write the entities; then
    write the same entities in IOB2. (`EntitySpan.spans` in `Sources/TextData/EntityScores.swift`,
    checked by `EntitySpanTests`.)
 2. **(Coding) The backward direction.** Write the `reversed` case of `RecurrentCell.unroll`
    (in `Sources/NeuralKit/Layers/Recurrent.swift`, region `ch9-reversed-unroll`): read the sequence
    from its last step, return the states in time order. `Chapter09Tests.testReversedUnrollReadsFromTheEnd`
    compares it with a forward run over the reversed inputs, `Chapter09Tests.testBidirectionalTaggerGradientCheck`
    checks the bidirectional tagger's gradients; the autograder runs both.
 3. **Pooling.** Which of last, mean and max pooling does best on SST-2 dev, and which is
    most sensitive to word order on "not good" / "good not"? Explain with how each summary
    is computed.
 4. **No attention.** The encoder–decoder squeezes the whole date into (h, c). Train with a
    smaller hidden size (edit `trainDates`' `hiddenSize`) and find where exact match
    collapses. Which parts of the date go wrong first?
*/
