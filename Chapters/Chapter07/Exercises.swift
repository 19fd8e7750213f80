/*: ## Exercises

 1. **Memory.** With f = 1 and i = 0, c⁽ᵗ⁾ = c⁽ᵗ⁻¹⁾ exactly. Which gate values make the
    LSTM behave like the plain RNN of Chapter 5, as closely as it can?
 2. **(Coding) The LSTM cell.** Write the LSTM step gate by gate, as the equations read
    (`LSTMCell` in `Sources/NeuralKit/Layers/Recurrent.swift`, region `ch7-lstm-cell`).
    `GatedCellTests.testLSTMStepMatchesTheEquations` checks one step against the equations
    computed by hand, `GatedCellTests.testLSTMCellGradientsThroughTwoSteps` the gradients,
    `GatedCellTests.testLSTMKeepsItsCellIndefinitely` the exact-memory claim; the autograder
    runs all three.
 3. **Forget bias.** Repeat the lag experiment with `--lag-forget-bias 0` and `5`. Which
    lags does the LSTM learn in each case, and why does the initial bias matter?
 4. **Speed.** The LSTM has four weight blocks to the RNN's one. Measure words per second
    of both on PTB (`--compare-rnn`); is the ratio four?
*/
