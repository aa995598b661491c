namespace NetBlocks.Training;

/// <summary>What a trainer reports as it goes (progress bars, charts, run records). Every member is optional.</summary>
public interface ITrainingObserver
{
    void OnEpochStart(int epoch, int batchesPerEpoch, int startBatch) { }
    void OnStep(int epoch, int batch, int batchesPerEpoch, double loss, double imagesPerSecond) { }
    void OnEpochEnd(EpochMetrics metrics, string checkpointPath) { }
    void OnInterrupted(string checkpointPath) { }
}
