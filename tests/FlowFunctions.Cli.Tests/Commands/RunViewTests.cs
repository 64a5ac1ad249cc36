using FlowFunctions.Core.Runs;

namespace FlowFunctions.Cli.Tests.Commands;

/// <summary>The text view shows a failed node's error with its class, kind, status and attempt.</summary>
public sealed class RunViewTests
{
    [Fact]
    public void ErrorDetail_ShowsTheClassification()
    {
        RunView.ErrorDetail(new NodeError("GET x returned 503 Service Unavailable", ErrorClass.Transient, 3) { Kind = ErrorKind.HttpStatus, Status = 503 })
            .ShouldBe("GET x returned 503 Service Unavailable (transient httpStatus 503, attempt 3)");
        RunView.ErrorDetail(new NodeError("deadline of 5m exceeded after 2 attempts", ErrorClass.Permanent, 2) { Kind = ErrorKind.Deadline })
            .ShouldBe("deadline of 5m exceeded after 2 attempts (permanent deadline, attempt 2)");
    }
}
