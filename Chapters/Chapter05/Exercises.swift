/*: ## Exercises

 1. **Shared weights.** Unroll the RNN over 4 and over 40 words. How many parameters does
    each graph use, and how many ops? (The chapter prints both; `testAnyLengthWithAFixedParameterCount`.)
 2. **(Coding) The RNN step.** Write `RNNCell.step` (in `Sources/NeuralKit/Layers/Recurrent.swift`,
    region `ch5-rnn-step`): h⁽ᵗ⁾ = σ(W_h h⁽ᵗ⁻¹⁾ + W_e e⁽ᵗ⁾ + b₁). `RecurrentTests.testRNNCellMatchesTheFormula`
    checks it against the formula computed by hand, `Chapter05Tests.testGradientCheckThroughTime`
    the gradient through time; the autograder runs both.
 3. **Perplexity.** Show that exp(J) equals the geometric mean of 1/P over the test words.
    `testPerplexityIsExpOfTheLoss` computes the product without logarithms; why does it need
    the mantissa and exponent kept apart?
 4. **Truncation.** Train with `--bptt 5` and `--bptt 35`. Which learns faster per epoch,
    and which reaches the lower validation perplexity?
*/
