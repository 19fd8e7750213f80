/*: ## Exercises

 1. **Size.** Write the parameter count of the fixed-window model as a formula in |V|, d,
    H and the window n. Which term dominates for PTB sizes? (`WindowLanguageModel.parameterCount`,
    checked by `testParameterCountByFormulaAndIndependentOfTheCorpus`.)
 2. **(Coding) The forward pass.** Write `WindowLanguageModel.hiddenLayer` (in
    `WindowLanguageModel.swift`, region `ch4-window-forward`): e = [e⁽¹⁾; …; e⁽⁴⁾],
    h = tanh(We + b₁), with dropout on e and h while training; `logits` adds Uh + b₂.
    `Chapter04Tests.testForwardPassByHand` checks the scores against loops over the
    parameters' numbers, `Chapter04Tests.testGradientCheckOfTheWholeModel` the gradients
    against finite differences; the autograder runs both.
 3. **No zeros.** Why can this model never give a test word probability 0, when the
    maximum-likelihood n-gram can? `testDistributionsArePositiveAndSumToOne` checks the claim;
    which line of the model guarantees it?
 4. **The window.** The window is fixed at four words. Work out what a window of 6 would
    cost in parameters at PTB sizes, and train with `--train-percent 25` and `100`: does
    more data or a wider window look like the better buy?
*/
