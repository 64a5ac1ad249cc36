using System.Diagnostics;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Activities.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Engine.Tests.Activities;

public sealed class ActivityExecutorTests
{
    private static ActivityExecutor Executor(TimeProvider time, params IActivityHandler[] handlers) =>
        new(handlers, Options.Create(new ActivityExecutorOptions()), time, () => 0.5);

    [Fact]
    public void StandardPipeline_IsTelemetryThenRetryThenTimeout()
    {
        var executor = Executor(new FakeTimeProvider());

        executor.Middleware.Select(stage => stage.GetType()).ShouldBe(
            [typeof(TelemetryMiddleware), typeof(RetryMiddleware), typeof(TimeoutMiddleware)]);
    }

    [Fact]
    public async Task Pipeline_RunsStagesOutermostFirst_AroundTheHandler()
    {
        var log = new List<string>();
        var handler = new ScriptedHandler("probe", (_, _) =>
        {
            log.Add("handler");
            return Task.FromResult<JsonNode?>(1);
        });
        var executor = new ActivityExecutor([handler], [new RecordingMiddleware("a", log), new RecordingMiddleware("b", log)]);

        var outcome = await executor.ExecuteAsync(Requests.For("probe"), CancellationToken.None);

        outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().ExecutionCount.ShouldBe(1);
        log.ShouldBe(["a>", "b>", "handler", "<b", "<a"]);
    }

    [Fact]
    public async Task UnknownNodeType_FailsPermanently()
    {
        var outcome = await Executor(new FakeTimeProvider()).ExecuteAsync(
            Requests.For("ecko", retry: new RetryPolicy(3, BackoffKind.Constant, TimeSpan.Zero, TimeSpan.FromSeconds(1), false)),
            CancellationToken.None);

        var failed = outcome.ShouldBeOfType<ActivityOutcome.Failed>();
        failed.Message.ShouldBe("no handler for node type 'ecko'");
        failed.Class.ShouldBe(ErrorClass.Permanent);
        failed.ExecutionCount.ShouldBe(1);
    }

    [Fact]
    public async Task HandlerException_BecomesFailedOutcome_WithoutStackTrace()
    {
        var handler = new ScriptedHandler("boom", (_, _) => throw new InvalidOperationException("bad state"));

        var outcome = await Executor(new FakeTimeProvider(), handler).ExecuteAsync(Requests.For("boom"), CancellationToken.None);

        outcome.ShouldBe(new ActivityOutcome.Failed("bad state", ErrorClass.Permanent, 1));
    }

    [Fact]
    public async Task Echo_ReturnsACopyOfTheInput()
    {
        var input = new JsonObject { ["greeting"] = "hello", ["n"] = 3 };

        var outcome = await Executor(new FakeTimeProvider(), new EchoHandler()).ExecuteAsync(Requests.For("echo", input), CancellationToken.None);

        var output = outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().Output;
        JsonNode.DeepEquals(output, input).ShouldBeTrue();
        output.ShouldNotBeSameAs(input);
    }

    [Fact]
    public async Task Echo_WithoutInput_ReturnsNull()
    {
        var outcome = await Executor(new FakeTimeProvider(), new EchoHandler()).ExecuteAsync(Requests.For("echo"), CancellationToken.None);

        outcome.ShouldBe(new ActivityOutcome.Succeeded(null, 1));
    }

    [Fact]
    public async Task CancelledToken_WhileHandlerRuns_ThrowsOperationCanceled()
    {
        var started = new TaskCompletionSource();
        var handler = new ScriptedHandler("hang", async (_, token) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, token);
            return null;
        });
        using var cancellation = new CancellationTokenSource();
        var running = Executor(new FakeTimeProvider(), handler).ExecuteAsync(Requests.For("hang"), cancellation.Token);
        await started.Task;

        await cancellation.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task CancelledToken_DuringInlineRetryDelay_ThrowsOperationCanceled()
    {
        var time = new FakeTimeProvider();
        var handler = new ScriptedHandler("flaky", (_, _) => throw new ActivityException("503", ErrorClass.Transient));
        using var cancellation = new CancellationTokenSource();
        var retry = new RetryPolicy(3, BackoffKind.Constant, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5), false);
        var running = Executor(time, handler).ExecuteAsync(Requests.For("flaky", retry: retry), cancellation.Token);
        await WaitUntil(() => time.PendingTimers == 1);

        await cancellation.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => running);
        handler.Executions.Count.ShouldBe(1);
    }

    [Fact]
    public async Task ExceptionOtherThanCancellation_WhileCancelled_IsReportedAsCancellation()
    {
        using var cancellation = new CancellationTokenSource();
        var handler = new ScriptedHandler("leaky", (_, _) =>
        {
            cancellation.Cancel();
            throw new IOException("connection reset");
        });

        await Should.ThrowAsync<OperationCanceledException>(
            () => Executor(new FakeTimeProvider(), handler).ExecuteAsync(Requests.For("leaky"), cancellation.Token));
    }

    [Fact]
    public async Task Telemetry_RecordsOneSpanPerWorkItem_WithTagsAndMetrics()
    {
        var runId = $"run-{Guid.NewGuid():N}";
        var nodeType = $"probe-{Guid.NewGuid():N}";
        using var telemetry = new EngineTelemetryRecorder(tags => (string?)tags.GetValueOrDefault(ActivityTelemetry.NodeTypeTag) == nodeType);
        var handler = new ScriptedHandler(nodeType, (_, _) => throw new ActivityException("503", ErrorClass.Transient));
        var retry = new RetryPolicy(3, BackoffKind.Constant, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1), false);

        var outcome = await Executor(new FakeTimeProvider { AutoAdvance = true }, handler)
            .ExecuteAsync(Requests.For(nodeType, retry: retry, runId: runId), CancellationToken.None);

        outcome.Executions.ShouldBe(3);
        var span = telemetry.SpansOf(runId).ShouldHaveSingleItem();
        var measurements = telemetry.Measurements;
        span.GetTagItem(ActivityTelemetry.NodeIdTag).ShouldBe("node");
        span.GetTagItem(ActivityTelemetry.NodeTypeTag).ShouldBe(nodeType);
        span.GetTagItem(ActivityTelemetry.AttemptTag).ShouldBe(1);
        span.GetTagItem(ActivityTelemetry.ExecutionsTag).ShouldBe(3);
        span.GetTagItem(ActivityTelemetry.OutcomeTag).ShouldBe("failed");
        span.GetTagItem(ActivityTelemetry.ErrorClassTag).ShouldBe("transient");
        span.Status.ShouldBe(ActivityStatusCode.Error);
        measurements.Single(m => m.Instrument == "flowfunctions.activity.executions").Value.ShouldBe(3);
        measurements.Single(m => m.Instrument == "flowfunctions.activity.failures").Tags[ActivityTelemetry.ErrorClassTag].ShouldBe("transient");
        measurements.Single(m => m.Instrument == "flowfunctions.activity.duration").Value.ShouldBe(0.02, 1e-9);
    }

    [Fact]
    public async Task AddFlowFunctionsActivities_RegistersExecutorWithTheBuiltInHandlers()
    {
        var services = new ServiceCollection().AddFlowFunctionsActivities(options => options.InlineRetryThreshold = TimeSpan.FromSeconds(2));
        await using var provider = services.BuildServiceProvider();

        provider.GetServices<IActivityHandler>().Select(handler => handler.NodeType).Order().ShouldBe(["echo", "fail", "http"]);
        provider.GetRequiredService<TimeProvider>().ShouldBeSameAs(TimeProvider.System);
        provider.GetRequiredService<IOptions<ActivityExecutorOptions>>().Value.InlineRetryThreshold.ShouldBe(TimeSpan.FromSeconds(2));
        var outcome = await provider.GetRequiredService<ActivityExecutor>()
            .ExecuteAsync(Requests.For("echo", JsonValue.Create("hi")), CancellationToken.None);
        outcome.ShouldBeOfType<ActivityOutcome.Succeeded>().Output!.GetValue<string>().ShouldBe("hi");
    }

    [Fact]
    public async Task AddFlowFunctionsActivities_RejectsAnInvalidAllowedHost()
    {
        var services = new ServiceCollection().AddFlowFunctionsActivities(options => options.Http.AllowedHosts.Add("10.0.0.0/99"));
        await using var provider = services.BuildServiceProvider();

        Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ActivityExecutorOptions>>().Value);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        condition().ShouldBeTrue();
    }

    private sealed class RecordingMiddleware(string name, List<string> log) : IActivityMiddleware
    {
        public async Task<ActivityOutcome> InvokeAsync(ActivityInvocation invocation, Func<ActivityInvocation, Task<ActivityOutcome>> next)
        {
            log.Add($"{name}>");
            var outcome = await next(invocation);
            log.Add($"<{name}");
            return outcome;
        }
    }
}
