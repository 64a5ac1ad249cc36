namespace FlowFunctions.Host.Functions;

/// <summary>The custom handler's log messages.</summary>
internal static partial class HandlerLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Function {Function} failed; the host will retry the message")]
    public static partial void InvocationFailed(ILogger logger, Exception exception, string function);
}
