namespace FlowFunctions.Engine.Activities;

/// <summary>
/// One stage of the <see cref="ActivityExecutor"/> pipeline, like ASP.NET Core middleware: it may act before and after
/// calling <c>next</c>, call it several times (retry) or not at all (step cache). Middleware reports failures as
/// <see cref="ActivityOutcome.Failed"/>, never as exceptions; the only exception that crosses a stage is
/// <see cref="OperationCanceledException"/> for the token of the invocation it was given.
/// </summary>
public interface IActivityMiddleware
{
    /// <summary>Handles the invocation, usually by calling <paramref name="next"/>.</summary>
    Task<ActivityOutcome> InvokeAsync(ActivityInvocation invocation, Func<ActivityInvocation, Task<ActivityOutcome>> next);
}
