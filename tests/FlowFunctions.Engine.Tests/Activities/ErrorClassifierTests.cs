using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using Polly.Timeout;

namespace FlowFunctions.Engine.Tests.Activities;

public sealed class ErrorClassifierTests
{
    public static TheoryData<Exception, string, ErrorClass, ErrorKind, int?> Cases => new()
    {
        { new ActivityException("upstream returned 503", ErrorClass.Transient) { Kind = ErrorKind.HttpStatus, Status = 503 }, "upstream returned 503", ErrorClass.Transient, ErrorKind.HttpStatus, 503 },
        { new ActivityException("bad input", ErrorClass.Permanent), "bad input", ErrorClass.Permanent, ErrorKind.Other, null },
        { new TimeoutRejectedException(TimeSpan.FromSeconds(30)), "timed out after 30s", ErrorClass.Transient, ErrorKind.Timeout, null },
        { new TimeoutRejectedException(TimeSpan.FromMinutes(90)), "timed out after 1h30m", ErrorClass.Transient, ErrorKind.Timeout, null },
        { new TaskCanceledException("The request was canceled"), "The request was canceled", ErrorClass.Transient, ErrorKind.Timeout, null },
        { new HttpRequestException("Connection refused (127.0.0.1:1)"), "Connection refused (127.0.0.1:1)", ErrorClass.Transient, ErrorKind.Connection, null },
        { new HttpRequestException("teapot", null, (HttpStatusCode)418), "teapot", ErrorClass.Permanent, ErrorKind.HttpStatus, 418 },
        { new HttpRequestException("busy", null, HttpStatusCode.TooManyRequests), "busy", ErrorClass.Transient, ErrorKind.HttpStatus, 429 },
        { new IOException("connection reset"), "connection reset", ErrorClass.Transient, ErrorKind.Connection, null },
        { new SocketException((int)SocketError.ConnectionRefused), new SocketException((int)SocketError.ConnectionRefused).Message, ErrorClass.Transient, ErrorKind.Connection, null },
        { new InvalidOperationException("bad state"), "bad state", ErrorClass.Permanent, ErrorKind.Other, null },
        { new FormatException("not a number"), "not a number", ErrorClass.Permanent, ErrorKind.Other, null },
        { new AggregateException(new IOException("inner reset")), "inner reset", ErrorClass.Transient, ErrorKind.Connection, null },
        { new ArgumentException(" "), "ArgumentException", ErrorClass.Permanent, ErrorKind.Other, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classify_MapsExceptionsToMessageClassKindAndStatus(Exception exception, string message, ErrorClass errorClass, ErrorKind kind, int? status) =>
        ErrorClassifier.Classify(exception, 2).ShouldBe(new ActivityOutcome.Failed(message, errorClass, 2) { Kind = kind, Status = status });

    [Theory]
    [InlineData(408, ErrorClass.Transient)]
    [InlineData(429, ErrorClass.Transient)]
    [InlineData(500, ErrorClass.Transient)]
    [InlineData(503, ErrorClass.Transient)]
    [InlineData(599, ErrorClass.Transient)]
    [InlineData(400, ErrorClass.Permanent)]
    [InlineData(401, ErrorClass.Permanent)]
    [InlineData(404, ErrorClass.Permanent)]
    [InlineData(409, ErrorClass.Permanent)]
    [InlineData(422, ErrorClass.Permanent)]
    [InlineData(302, ErrorClass.Permanent)]
    public void ClassOf_HttpStatuses(int status, ErrorClass expected) => ErrorClassifier.ClassOf(status).ShouldBe(expected);

    [Fact]
    public void RetryAfter_ReadsSecondsAndDates()
    {
        var now = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

        ErrorClassifier.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), now).ShouldBe(TimeSpan.FromSeconds(7));
        ErrorClassifier.RetryAfter(new RetryConditionHeaderValue(now.AddMinutes(2)), now).ShouldBe(TimeSpan.FromMinutes(2));
        ErrorClassifier.RetryAfter(new RetryConditionHeaderValue(now.AddMinutes(-2)), now).ShouldBe(TimeSpan.Zero);
        ErrorClassifier.RetryAfter(null, now).ShouldBeNull();
    }

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

        ErrorClassifier.Classify(thrown, 1).Message.ShouldNotContain(" at ");
    }
}
