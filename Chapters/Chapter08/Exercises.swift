/*: ## Exercises

 1. **Count.** Write the GRU's parameter count for input size d and hidden size H, and the
    LSTM's. For d = H = 200, by how much is the GRU smaller?
    (`testParameterCountsEqualTheFormula` checks both.)
 2. **(Coding) The GRU cell.** Write `GRUCell.step` (in `Sources/NeuralKit/Layers/Recurrent.swift`,
    region `ch8-gru-cell`): update and reset gates, the candidate, and
    h⁽ᵗ⁾ = (1 − z) ⊙ h⁽ᵗ⁻¹⁾ + z ⊙ ĥ. `GatedCellTests.testGRUStepMatchesTheEquations` checks
    one step against the equations computed by hand, `GatedCellTests.testGRUCellGradientsThroughTwoSteps`
    the gradients, `GatedCellTests.testGRUZeroUpdateGateCopiesTheState` that z = 0 copies
    the state; the autograder runs all three.
 3. **Reset.** What does the GRU compute when r = 0 everywhere? Which model of an earlier
    chapter does its candidate then resemble?
 4. **The table.** The slides say the GRU trains faster. Is the measured time per step
    lower in this chapter's table? Which part of the step dominates at PTB sizes?
*/
