namespace FlowFunctions.Cli;

/// <summary>The exit codes of the flow command; scripts rely on them.</summary>
internal static class ExitCodes
{
    /// <summary>Success: the spec is valid, the run succeeded.</summary>
    public const int Ok = 0;

    /// <summary>The run failed or was cancelled.</summary>
    public const int RunFailed = 1;

    /// <summary>Invalid spec, unreadable file, or bad usage.</summary>
    public const int Invalid = 2;
}
