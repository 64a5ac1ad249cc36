using FlowFunctions.Storage.Tests.Contract;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>
/// The WorkQueue contract against Azurite. Contract tests that move the fake clock cannot move the service's clock:
/// they are skipped here and replaced below by the same checks with short real timeouts.
/// </summary>
[RequiresEnvironmentVariable(AzuriteStorage.Variable, AzuriteStorage.SkipReason)]
[SkipContractTest(nameof(Dequeue_EnqueuedMessage_ReturnsItWithDequeueCountOne), FakeClockReason)]
[SkipContractTest(nameof(Dequeue_TakenMessage_InvisibleUntilTimeoutThenRedeliveredWithDequeueCountTwo), FakeClockReason)]
[SkipContractTest(nameof(Delete_StalePopReceiptAfterRedelivery_ReturnsFalseAndKeepsMessage), FakeClockReason)]
[SkipContractTest(nameof(UpdateVisibility_StalePopReceipt_ReturnsNull), FakeClockReason)]
[SkipContractTest(nameof(Enqueue_InitialVisibilityDelay_HidesMessageUntilDelayPasses), FakeClockReason)]
public sealed class AzureWorkQueueTests : WorkQueueContract
{
    private const string FakeClockReason =
        "advances the fake TimeProvider, but Azure Storage decides visibility by its own clock; AzureWorkQueueTests has a real-time version";

    private const string Work = "work";
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly AzuriteStorage storage = new();

    private IWorkQueue Queues => Store.Queues;

    [ContractFact]
    public async Task Dequeue_EnqueuedMessage_InsertedAtIsServiceTimeAndCountOne()
    {
        var before = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds());
        await Queues.EnqueueAsync(Work, "{\"node\":\"a\"}", TimeSpan.Zero, None);

        var message = (await Queues.DequeueAsync(Work, 8, Lease, None)).ShouldHaveSingleItem();

        message.Body.ShouldBe("{\"node\":\"a\"}");
        message.DequeueCount.ShouldBe(1);
        message.InsertedAt.ShouldBeInRange(before.AddSeconds(-5), TimeProvider.System.GetUtcNow().AddSeconds(5));
        message.Id.ShouldNotBeNullOrEmpty();
        message.PopReceipt.ShouldNotBeNullOrEmpty();
    }

    [ContractFact]
    public async Task Dequeue_TakenMessage_InvisibleUntilRealTimeoutThenRedeliveredWithCountTwo()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var first = (await Queues.DequeueAsync(Work, 1, Short, None)).ShouldHaveSingleItem();
        (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldBeEmpty();

        var second = await DequeueWhenVisibleAsync();

        second.Id.ShouldBe(first.Id);
        second.Body.ShouldBe("a");
        second.DequeueCount.ShouldBe(2);
        second.PopReceipt.ShouldNotBe(first.PopReceipt);
        second.InsertedAt.ShouldBe(first.InsertedAt);
    }

    [ContractFact]
    public async Task Delete_StalePopReceiptAfterRealRedelivery_ReturnsFalseAndKeepsMessage()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var first = (await Queues.DequeueAsync(Work, 1, Short, None)).ShouldHaveSingleItem();
        var second = await DequeueWhenVisibleAsync();

        (await Queues.DeleteAsync(Work, first, None)).ShouldBeFalse();

        (await Queues.CountAsync(Work, None)).ShouldBe(1);
        (await Queues.DeleteAsync(Work, second, None)).ShouldBeTrue();
        (await Queues.CountAsync(Work, None)).ShouldBe(0);
    }

    [ContractFact]
    public async Task UpdateVisibility_StalePopReceiptAfterRealRedelivery_ReturnsNull()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var first = (await Queues.DequeueAsync(Work, 1, Short, None)).ShouldHaveSingleItem();
        await DequeueWhenVisibleAsync();

        (await Queues.UpdateVisibilityAsync(Work, first, Lease, None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task Enqueue_InitialVisibilityDelay_HiddenUntilRealDelayPasses()
    {
        var started = TimeProvider.System.GetTimestamp();
        await Queues.EnqueueAsync(Work, "timer", TimeSpan.FromSeconds(2), None);

        (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldBeEmpty();
        (await Queues.CountAsync(Work, None)).ShouldBe(1);

        var fired = await DequeueWhenVisibleAsync();
        fired.Body.ShouldBe("timer");
        fired.DequeueCount.ShouldBe(1);

        // The service rounds to whole seconds; 1 s of slack keeps this from flaking while still failing on "no delay".
        TimeProvider.System.GetElapsedTime(started).ShouldBeGreaterThan(TimeSpan.FromSeconds(1));
    }

    [ContractFact]
    public async Task Enqueue_BodyLargerThanAMessage_TravelsThroughAnArtifact()
    {
        var body = "{\"items\":\"" + new string('x', 100_000) + "\"}";
        await Queues.EnqueueAsync(Work, body, TimeSpan.Zero, None);

        var message = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();

        message.Body.ShouldBe(body);
    }

    [ContractFact]
    public async Task Enqueue_UnicodeBody_RoundTrips()
    {
        const string Body = "{\"text\":\"h\u00e9llo \u2603 \U0001F600 <&>\"}";
        await Queues.EnqueueAsync("flow-control", Body, TimeSpan.Zero, None);

        (await Queues.DequeueAsync("flow-control", 1, Lease, None)).ShouldHaveSingleItem().Body.ShouldBe(Body);
    }

    [ContractTheory]
    [InlineData("Work")]
    [InlineData("a_b")]
    [InlineData("bad--name")]
    public async Task Enqueue_NameTheServiceRefuses_ThrowsArgumentException(string queue)
    {
        var error = await Should.ThrowAsync<ArgumentException>(() => Queues.EnqueueAsync(queue, "a", TimeSpan.Zero, None));

        error.Message.ShouldContain("lowercase letters, digits and single dashes");
    }

    /// <inheritdoc />
    protected override Task<IFlowStore> OpenStoreAsync(TimeProvider timeProvider) => Task.FromResult<IFlowStore>(storage.Open());

    /// <inheritdoc />
    protected override Task DeleteStorageAsync() => storage.DeleteAsync();

    /// <summary>Polls until a message becomes visible again (bounded: a missing redelivery fails instead of hanging).</summary>
    private async Task<QueueMessage> DequeueWhenVisibleAsync()
    {
        var started = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(15))
        {
            var taken = await Queues.DequeueAsync(Work, 1, Lease, None);
            if (taken.Count == 1)
            {
                return taken[0];
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        throw new TimeoutException("the message did not become visible again within 15 s");
    }
}
