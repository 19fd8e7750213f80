import FigureKit
import NeuralKit
import RecurrentLM

typealias RNNLanguageModel = RecurrentLanguageModel<RNNCell<Float>>

/// The loss curve: training perplexity over each tenth of an epoch, validation
/// perplexity after each epoch.
func trainingCurve(_ history: TrainingHistory) -> LinePlot {
    LinePlot(
        title: "RNN LM perplexity: training (each tenth of an epoch), validation",
        xLabel: "epoch", yLabel: "perplexity (log scale)",
        series: [
            .init("training", history.trainCurve),
            .init("validation", history.epochs.map { (Double($0.epoch), $0.validPerplexity) }),
        ],
        logarithmicY: true)
}
