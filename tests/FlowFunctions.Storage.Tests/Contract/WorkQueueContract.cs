namespace FlowFunctions.Storage.Tests.Contract;

/// <summary>What every <see cref="IWorkQueue"/> must do: Azure Storage queue semantics, driven by a fake clock.</summary>
public abstract class WorkQueueContract : FlowStoreContract
{
    private const string Work = "work";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly CancellationToken None = CancellationToken.None;

    private IWorkQueue Queues => Store.Queues;

    [ContractFact]
    public async Task Dequeue_EmptyQueue_ReturnsNothing()
    {
        (await Queues.DequeueAsync(Work, 8, Lease, None)).ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Dequeue_EnqueuedMessage_ReturnsItWithDequeueCountOne()
    {
        var enqueuedAt = Time.GetUtcNow();
        await Queues.EnqueueAsync(Work, "{\"node\":\"a\"}", TimeSpan.Zero, None);

        var message = (await Queues.DequeueAsync(Work, 8, Lease, None)).ShouldHaveSingleItem();

        message.Body.ShouldBe("{\"node\":\"a\"}");
        message.DequeueCount.ShouldBe(1);
        message.InsertedAt.ShouldBe(enqueuedAt);
        message.Id.ShouldNotBeNullOrEmpty();
        message.PopReceipt.ShouldNotBeNullOrEmpty();
    }

    [ContractFact]
    public async Task EnqueueMany_AddsEveryMessageInOrder()
    {
        await Queues.EnqueueManyAsync(Work, ["a", "b", "c"], TimeSpan.Zero, None);

        (await Queues.DequeueAsync(Work, 8, Lease, None)).Select(m => m.Body).ShouldBe(["a", "b", "c"]);
        (await Queues.CountAsync(Work, None)).ShouldBe(3);
    }

    [ContractFact]
    public async Task EnqueueMany_Nothing_IsANoOp()
    {
        await Queues.EnqueueManyAsync(Work, [], TimeSpan.Zero, None);

        (await Queues.CountAsync(Work, None)).ShouldBe(0);
    }

    [ContractFact]
    public async Task Dequeue_TakenMessage_InvisibleUntilTimeoutThenRedeliveredWithDequeueCountTwo()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var first = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();

        Time.Advance(Lease - TimeSpan.FromSeconds(1));
        (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldBeEmpty();

        Time.Advance(TimeSpan.FromSeconds(1));
        var second = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();

        second.Id.ShouldBe(first.Id);
        second.Body.ShouldBe("a");
        second.DequeueCount.ShouldBe(2);
        second.PopReceipt.ShouldNotBe(first.PopReceipt);
        second.InsertedAt.ShouldBe(first.InsertedAt);
    }

    [ContractFact]
    public async Task Delete_CurrentPopReceipt_RemovesMessage()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var message = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();

        (await Queues.DeleteAsync(Work, message, None)).ShouldBeTrue();

        (await Queues.CountAsync(Work, None)).ShouldBe(0);
        Time.Advance(Lease * 2);
        (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Delete_StalePopReceiptAfterRedelivery_ReturnsFalseAndKeepsMessage()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var first = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();
        Time.Advance(Lease);
        var second = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();

        (await Queues.DeleteAsync(Work, first, None)).ShouldBeFalse();

        (await Queues.CountAsync(Work, None)).ShouldBe(1);
        (await Queues.DeleteAsync(Work, second, None)).ShouldBeTrue();
    }

    [ContractFact]
    public async Task Delete_AlreadyDeleted_ReturnsFalse()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var message = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();
        (await Queues.DeleteAsync(Work, message, None)).ShouldBeTrue();

        (await Queues.DeleteAsync(Work, message, None)).ShouldBeFalse();
    }

    [ContractFact]
    public async Task UpdateVisibility_CurrentReceipt_ExtendsInvisibilityAndReplacesReceipt()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var taken = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();
        Time.Advance(Lease - TimeSpan.FromSeconds(5));

        var renewed = await Queues.UpdateVisibilityAsync(Work, taken, TimeSpan.FromMinutes(2), None);

        renewed.ShouldNotBeNull();
        renewed.Id.ShouldBe(taken.Id);
        renewed.Body.ShouldBe("a");
        renewed.DequeueCount.ShouldBe(1);
        renewed.PopReceipt.ShouldNotBe(taken.PopReceipt);
        Time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldBeEmpty();
        (await Queues.DeleteAsync(Work, taken, None)).ShouldBeFalse();
        (await Queues.DeleteAsync(Work, renewed, None)).ShouldBeTrue();
    }

    [ContractFact]
    public async Task UpdateVisibility_ToZero_MakesMessageVisibleAtOnce()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var taken = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();

        (await Queues.UpdateVisibilityAsync(Work, taken, TimeSpan.Zero, None)).ShouldNotBeNull();

        var again = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();
        again.Id.ShouldBe(taken.Id);
        again.DequeueCount.ShouldBe(2);
    }

    [ContractFact]
    public async Task UpdateVisibility_StalePopReceipt_ReturnsNull()
    {
        await Queues.EnqueueAsync(Work, "a", TimeSpan.Zero, None);
        var first = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();
        Time.Advance(Lease);
        (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();

        (await Queues.UpdateVisibilityAsync(Work, first, Lease, None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task Enqueue_InitialVisibilityDelay_HidesMessageUntilDelayPasses()
    {
        await Queues.EnqueueAsync(Work, "timer", TimeSpan.FromMinutes(10), None);

        (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldBeEmpty();
        (await Queues.CountAsync(Work, None)).ShouldBe(1);
        Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldBeEmpty();

        Time.Advance(TimeSpan.FromSeconds(1));
        var fired = (await Queues.DequeueAsync(Work, 1, Lease, None)).ShouldHaveSingleItem();
        fired.Body.ShouldBe("timer");
        fired.DequeueCount.ShouldBe(1);
    }

    [ContractFact]
    public async Task Dequeue_MessagesVisibleAtTheSameTime_ReturnedInInsertionOrder()
    {
        for (var i = 0; i < 6; i++)
        {
            await Queues.EnqueueAsync(Work, $"m{i}", TimeSpan.Zero, None);
        }

        var firstBatch = await Queues.DequeueAsync(Work, 4, Lease, None);
        var secondBatch = await Queues.DequeueAsync(Work, 4, Lease, None);

        firstBatch.Select(message => message.Body).ShouldBe(["m0", "m1", "m2", "m3"]);
        secondBatch.Select(message => message.Body).ShouldBe(["m4", "m5"]);
    }

    [ContractFact]
    public async Task Dequeue_MaxMessages_TakesNoMoreThanAsked()
    {
        for (var i = 0; i < 5; i++)
        {
            await Queues.EnqueueAsync(Work, $"m{i}", TimeSpan.Zero, None);
        }

        (await Queues.DequeueAsync(Work, 2, Lease, None)).Count.ShouldBe(2);
        (await Queues.DequeueAsync(Work, 32, Lease, None)).Count.ShouldBe(3);
    }

    [ContractFact]
    public async Task Count_VisibleHiddenAndDelayedMessages_CountsAll()
    {
        await Queues.EnqueueAsync(Work, "visible", TimeSpan.Zero, None);
        await Queues.EnqueueAsync(Work, "taken", TimeSpan.Zero, None);
        await Queues.EnqueueAsync(Work, "delayed", TimeSpan.FromHours(1), None);
        await Queues.EnqueueAsync("control", "elsewhere", TimeSpan.Zero, None);
        await Queues.DequeueAsync(Work, 1, Lease, None);

        (await Queues.CountAsync(Work, None)).ShouldBe(3);
        (await Queues.CountAsync("control", None)).ShouldBe(1);
        (await Queues.CountAsync("empty", None)).ShouldBe(0);
    }

    [ContractFact]
    public async Task Dequeue_OtherQueue_DoesNotSeeMessages()
    {
        await Queues.EnqueueAsync("control", "wake", TimeSpan.Zero, None);

        (await Queues.DequeueAsync(Work, 8, Lease, None)).ShouldBeEmpty();
        (await Queues.DequeueAsync("control", 8, Lease, None)).ShouldHaveSingleItem().Body.ShouldBe("wake");
    }

    [ContractFact]
    public async Task Dequeue_CompetingConsumers_NeverTakeTheSameMessage()
    {
        const int Messages = 40;
        for (var i = 0; i < Messages; i++)
        {
            await Queues.EnqueueAsync(Work, $"m{i}", TimeSpan.Zero, None);
        }

        var other = await OpenAnotherStoreAsync();
        using var start = new ManualResetEventSlim();
        var consumers = Enumerable.Range(0, 8).Select(consumer => Task.Run(async () =>
        {
            var queues = consumer % 2 == 0 ? Queues : other.Queues;
            start.Wait();
            var taken = new List<QueueMessage>();
            while (true)
            {
                var batch = await queues.DequeueAsync(Work, 3, Lease, None);
                if (batch.Count == 0)
                {
                    return taken;
                }

                taken.AddRange(batch);
            }
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(consumers);

        var all = results.SelectMany(taken => taken).ToList();
        all.Count.ShouldBe(Messages);
        all.Select(message => message.Id).Distinct().Count().ShouldBe(Messages);
        all.ShouldAllBe(message => message.DequeueCount == 1);
    }

    [ContractFact]
    public async Task Enqueue_NegativeDelay_ThrowsArgumentOutOfRange()
    {
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => Queues.EnqueueAsync(Work, "a", TimeSpan.FromSeconds(-1), None));
    }
}
