using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using Polly.Timeout;

namespace FlowFunctions.Engine.Tests.Activities;

public sealed class ErrorClassifierTests
{
    public static TheoryData<Exception, string, ErrorClass> Cases => new()
    {
        { new ActivityException("upstream returned 503", ErrorClass.Transient), "upstream returned 503", ErrorClass.Transient },
        { new ActivityException("bad input", ErrorClass.Permanent), "bad input", ErrorClass.Permanent },
        { new TimeoutRejectedException(TimeSpan.FromSeconds(30)), "timed out after 30s", ErrorClass.Transient },
        { new TimeoutRejectedException(TimeSpan.FromMinutes(90)), "timed out after 1h30m", ErrorClass.Transient },
        { new TaskCanceledException("The request was canceled"), "The request was canceled", ErrorClass.Transient },
        { new HttpRequestException("Connection refused (127.0.0.1:1)"), "Connection refused (127.0.0.1:1)", ErrorClass.Transient },
        { new IOException("connection reset"), "connection reset", ErrorClass.Transient },
        { new InvalidOperationException("bad state"), "bad state", ErrorClass.Permanent },
        { new FormatException("not a number"), "not a number", ErrorClass.Permanent },
        { new AggregateException(new IOException("inner reset")), "inner reset", ErrorClass.Transient },
        { new ArgumentException(" "), "ArgumentException", ErrorClass.Permanent },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classify_MapsExceptionsToMessageAndClass(Exception exception, string message, ErrorClass errorClass) =>
        ErrorClassifier.Classify(exception).ShouldBe((message, errorClass));

    [Fact]
    public void Classify_NeverIncludesTheStackTrace()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("bad state");
        }
        catch (InvalidOperationException exception)
        {
            thrown = exception;
        }

        ErrorClassifier.Classify(thrown).Message.ShouldNotContain(" at ");
    }
}
