/*: ## Exercises

 1. **Order.** Find two SST dev sentences with the same words in a different order and
    different gold labels, or argue from the treebank why such pairs are rare. What does
    that say about the cost of averaging measured in this chapter?
 2. **(Coding) The average.** Write `segmentMean` (in `Sources/NeuralKit/Autodiff/Ops.swift`):
    the forward mean of each run of rows, and its backward pass (region `ch2-segment-mean`).
    `GradientCheckTests.testSegmentMeanValues` checks the means against a hand count,
    `GradientCheckTests.testSegmentMean` and `Chapter02Tests.testGradientCheck` the gradients
    against finite differences; the autograder runs all three.
 3. **Word dropout.** Train with `--word-dropout 0` and with 0.5. Which gives the better dev
    accuracy, and does the training loss tell you why?
 4. **Depth.** Iyyer et al. found that depth helps the DAN. Compare `--layers 1`, `2` and
    `3` on SST-2 dev; how many parameters does each layer add?
*/
