namespace FlowFunctions.Engine;

/// <summary>Which engine drives a run; both apply the same decision function (docs/architecture.md, "Two engines").</summary>
public enum RunEngine
{
    /// <summary>Our replay-free engine: episodes on the run partition, driven by the work and control queues.</summary>
    Native,

    /// <summary>One Durable Task orchestration per run (FlowFunctions.Engine.Durable); its steps commit to the same run partition.</summary>
    Durable,
}
