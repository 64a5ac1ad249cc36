namespace FlowFunctions.Engine.Activities;

/// <summary>Settings of the <see cref="ActivityExecutor"/> and the built-in handlers (configuration section <c>FlowFunctions</c>).</summary>
public sealed class ActivityExecutorOptions
{
    /// <summary>The configuration section these options are usually bound to.</summary>
    public const string SectionName = "FlowFunctions";

    /// <summary>
    /// Retry delays up to this long are waited inside the work item; longer ones are left to the engine, which turns
    /// them into durable timers. Default 1 s; at most <see cref="Core.Specs.RetryPolicy.InlineWaitLimit"/> (10 s).
    /// </summary>
    public TimeSpan InlineRetryThreshold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Settings of the <c>http</c> node type.</summary>
    public HttpActivityOptions Http { get; set; } = new();

    /// <summary>Chaos rules (tests and drills only; off by default, refused in Production).</summary>
    public ChaosOptions Chaos { get; set; } = new();

    /// <summary>
    /// The hosting environment (<c>IHostEnvironment.EnvironmentName</c>), set by the host. Chaos rules are refused unless
    /// it is set and is not <c>Production</c>.
    /// </summary>
    public string? EnvironmentName { get; set; }
}
