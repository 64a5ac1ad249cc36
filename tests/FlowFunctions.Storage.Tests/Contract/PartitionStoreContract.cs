namespace FlowFunctions.Storage.Tests.Contract;

/// <summary>What every <see cref="IPartitionStore"/> must do: Azure Table entity-group semantics.</summary>
public abstract class PartitionStoreContract : FlowStoreContract
{
    private const string Run = "run-1";
    private static readonly CancellationToken None = CancellationToken.None;

    private IPartitionStore Partitions => Store.Partitions;

    [ContractFact]
    public async Task Execute_Inserts_ReturnsOneETagPerOperationAndRowsReadBack()
    {
        var etags = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("run", "{\"v\":1}"), new RowOperation.Insert("node|a", "{}")], None);

        etags.Count.ShouldBe(2);
        etags.ShouldAllBe(etag => etag.Length > 0);
        etags[0].ShouldNotBe(etags[1]);
        var row = await Partitions.GetAsync(Run, "run", None);
        row.ShouldBe(new StoredRow("run", "{\"v\":1}", etags[0]));
    }

    [ContractFact]
    public async Task Get_UnknownKey_ReturnsNull()
    {
        await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("run", "{}")], None);

        (await Partitions.GetAsync(Run, "missing", None)).ShouldBeNull();
        (await Partitions.GetAsync("other-run", "run", None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task GetMany_ReturnsExistingRowsWithCurrentETagsAndOmitsMissingOnes()
    {
        // More keys than one Azure query may name (14), a duplicate, a missing key, and a key needing escaping.
        var keys = Enumerable.Range(0, 20).Select(i => $"node|n{i}").Append("node|it's/#?").ToList();
        var etags = await Partitions.ExecuteAsync(Run, [.. keys.Select(k => (RowOperation)new RowOperation.Insert(k, $"\"{k}\""))], None);
        await Partitions.ExecuteAsync("other-run", [new RowOperation.Insert("node|missing", "{}")], None);

        var rows = await Partitions.GetManyAsync(Run, [.. keys, "node|n3", "node|missing"], None);

        rows.Count.ShouldBe(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            rows[keys[i]].ShouldBe(new StoredRow(keys[i], $"\"{keys[i]}\"", etags[i]));
        }

        (await Partitions.GetManyAsync(Run, [], None)).ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Execute_ConditionFailsInTheMiddle_WritesNothingAndNamesTheOperation()
    {
        var before = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("node|b", "\"old\""), new RowOperation.Insert("outbox|x", "{}")], None);

        var conflict = await Should.ThrowAsync<BatchConflictException>(() => Partitions.ExecuteAsync(Run,
        [
            new RowOperation.Insert("node|a", "\"new\""),
            new RowOperation.Replace("node|b", "\"new\"", before[0]),
            new RowOperation.Insert("outbox|x", "{}"),
            new RowOperation.Upsert("node|c", "\"new\""),
        ], None));

        conflict.Index.ShouldBe(2);
        conflict.Key.ShouldBe("outbox|x");
        conflict.Kind.ShouldBe(ConflictKind.AlreadyExists);
        (await Partitions.GetAsync(Run, "node|a", None)).ShouldBeNull();
        (await Partitions.GetAsync(Run, "node|b", None)).ShouldBe(new StoredRow("node|b", "\"old\"", before[0]));
        (await Partitions.GetAsync(Run, "node|c", None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task Execute_InboxAppendOfExistingEvent_ReportsAlreadyExistsAndChangesNothing()
    {
        var first = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("inbox|a:1:done", "{\"first\":true}")], None);

        var conflict = await Should.ThrowAsync<BatchConflictException>(
            () => Partitions.ExecuteAsync(Run, [new RowOperation.Insert("inbox|a:1:done", "{\"first\":false}")], None));

        conflict.Index.ShouldBe(0);
        conflict.Key.ShouldBe("inbox|a:1:done");
        conflict.Kind.ShouldBe(ConflictKind.AlreadyExists);
        (await Partitions.GetAsync(Run, "inbox|a:1:done", None)).ShouldBe(new StoredRow("inbox|a:1:done", "{\"first\":true}", first[0]));
    }

    [ContractFact]
    public async Task Execute_ReplaceWithCurrentETag_WritesValueAndChangesETag()
    {
        var inserted = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("run", "1")], None);

        var replaced = await Partitions.ExecuteAsync(Run, [new RowOperation.Replace("run", "2", inserted[0])], None);

        replaced[0].ShouldNotBe(inserted[0]);
        (await Partitions.GetAsync(Run, "run", None)).ShouldBe(new StoredRow("run", "2", replaced[0]));
    }

    [ContractFact]
    public async Task Execute_ReplaceWithStaleETag_ThrowsETagMismatchAndKeepsRow()
    {
        var inserted = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("run", "1")], None);
        var current = await Partitions.ExecuteAsync(Run, [new RowOperation.Replace("run", "2", inserted[0])], None);

        var conflict = await Should.ThrowAsync<BatchConflictException>(
            () => Partitions.ExecuteAsync(Run, [new RowOperation.Replace("run", "3", inserted[0])], None));

        conflict.Kind.ShouldBe(ConflictKind.ETagMismatch);
        conflict.Key.ShouldBe("run");
        (await Partitions.GetAsync(Run, "run", None)).ShouldBe(new StoredRow("run", "2", current[0]));
    }

    [ContractFact]
    public async Task Execute_ReplaceMissingRow_ThrowsNotFound()
    {
        var conflict = await Should.ThrowAsync<BatchConflictException>(
            () => Partitions.ExecuteAsync(Run, [new RowOperation.Upsert("node|a", "1"), new RowOperation.Replace("run", "1", "*")], None));

        conflict.Index.ShouldBe(1);
        conflict.Kind.ShouldBe(ConflictKind.NotFound);
        (await Partitions.GetAsync(Run, "node|a", None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task Execute_ReplaceWithWildcard_OverwritesAnyVersion()
    {
        await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("run", "1")], None);
        await Partitions.ExecuteAsync(Run, [new RowOperation.Upsert("run", "2")], None);

        var replaced = await Partitions.ExecuteAsync(Run, [new RowOperation.Replace("run", "3", "*")], None);

        (await Partitions.GetAsync(Run, "run", None)).ShouldBe(new StoredRow("run", "3", replaced[0]));
    }

    [ContractFact]
    public async Task Execute_DeleteWithCurrentETag_RemovesRowAndReturnsEmptyETag()
    {
        var inserted = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("outbox|1", "{}")], None);

        var result = await Partitions.ExecuteAsync(Run, [new RowOperation.Delete("outbox|1", inserted[0])], None);

        result.ShouldBe([string.Empty]);
        (await Partitions.GetAsync(Run, "outbox|1", None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task Execute_DeleteWithStaleETag_ThrowsETagMismatchAndKeepsRow()
    {
        var inserted = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("outbox|1", "1")], None);
        var current = await Partitions.ExecuteAsync(Run, [new RowOperation.Upsert("outbox|1", "2")], None);

        var conflict = await Should.ThrowAsync<BatchConflictException>(
            () => Partitions.ExecuteAsync(Run, [new RowOperation.Delete("outbox|1", inserted[0])], None));

        conflict.Kind.ShouldBe(ConflictKind.ETagMismatch);
        (await Partitions.GetAsync(Run, "outbox|1", None)).ShouldBe(new StoredRow("outbox|1", "2", current[0]));
    }

    [ContractFact]
    public async Task Execute_DeleteMissingRow_ThrowsNotFound()
    {
        var conflict = await Should.ThrowAsync<BatchConflictException>(
            () => Partitions.ExecuteAsync(Run, [new RowOperation.Delete("seq|4")], None));

        conflict.Index.ShouldBe(0);
        conflict.Key.ShouldBe("seq|4");
        conflict.Kind.ShouldBe(ConflictKind.NotFound);
    }

    [ContractFact]
    public async Task Execute_UpsertNewAndExistingRows_WritesBothWithNewETags()
    {
        var inserted = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("node|a", "1")], None);

        var upserted = await Partitions.ExecuteAsync(Run, [new RowOperation.Upsert("node|a", "2"), new RowOperation.Upsert("node|b", "3")], None);

        upserted[0].ShouldNotBe(inserted[0]);
        (await Partitions.GetAsync(Run, "node|a", None)).ShouldBe(new StoredRow("node|a", "2", upserted[0]));
        (await Partitions.GetAsync(Run, "node|b", None)).ShouldBe(new StoredRow("node|b", "3", upserted[1]));
    }

    [ContractFact]
    public async Task Execute_RowDeletedAndInsertedAgain_OldETagNoLongerMatches()
    {
        var first = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("lease", "a")], None);
        await Partitions.ExecuteAsync(Run, [new RowOperation.Delete("lease", first[0])], None);
        var second = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("lease", "b")], None);

        second[0].ShouldNotBe(first[0]);
        var conflict = await Should.ThrowAsync<BatchConflictException>(
            () => Partitions.ExecuteAsync(Run, [new RowOperation.Replace("lease", "c", first[0])], None));
        conflict.Kind.ShouldBe(ConflictKind.ETagMismatch);
    }

    [ContractFact]
    public async Task Execute_SameKeyTwice_ThrowsArgumentExceptionAndWritesNothing()
    {
        await Should.ThrowAsync<ArgumentException>(() => Partitions.ExecuteAsync(Run,
            [new RowOperation.Insert("node|a", "1"), new RowOperation.Insert("node|b", "1"), new RowOperation.Upsert("node|a", "2")], None));

        (await Partitions.QueryAsync(Run, string.Empty, None)).ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Execute_FullBatchOfMaxOperations_AppliesEveryOperation()
    {
        var operations = Enumerable.Range(0, IPartitionStore.MaxBatchOperations)
            .Select(i => (RowOperation)new RowOperation.Insert($"node|{i:D3}", $"{i}"))
            .ToList();

        var etags = await Partitions.ExecuteAsync(Run, operations, None);

        etags.Distinct().Count().ShouldBe(IPartitionStore.MaxBatchOperations);
        (await Partitions.QueryAsync(Run, "node|", None)).Count.ShouldBe(IPartitionStore.MaxBatchOperations);
    }

    [ContractFact]
    public async Task Query_Prefix_ReturnsOnlyMatchingRowsOrderedByKey()
    {
        await Partitions.ExecuteAsync(Run,
        [
            new RowOperation.Insert("node|b", "b"),
            new RowOperation.Insert("nodes", "not a node row"),
            new RowOperation.Insert("node|a", "a"),
            new RowOperation.Insert("inbox|1", "event"),
            new RowOperation.Insert("node|B", "B"),
            new RowOperation.Insert("node|a|child", "child"),
            new RowOperation.Insert("node", "no separator"),
        ], None);
        await Partitions.ExecuteAsync("run-2", [new RowOperation.Insert("node|0", "other run")], None);

        var rows = await Partitions.QueryAsync(Run, "node|", None);

        rows.Select(row => row.Key).ShouldBe(["node|B", "node|a", "node|a|child", "node|b"]);
        rows.Select(row => row.Value).ShouldBe(["B", "a", "child", "b"]);
    }

    [ContractFact]
    public async Task Query_EmptyPrefix_ReturnsWholePartitionWithCurrentETags()
    {
        var etags = await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("seq|1", "1"), new RowOperation.Insert("run", "{}")], None);
        await Partitions.ExecuteAsync("run-2", [new RowOperation.Insert("run", "{}")], None);

        var rows = await Partitions.QueryAsync(Run, string.Empty, None);

        rows.ShouldBe([new StoredRow("run", "{}", etags[1]), new StoredRow("seq|1", "1", etags[0])]);
    }

    [ContractFact]
    public async Task Query_NoMatch_ReturnsEmpty()
    {
        await Partitions.ExecuteAsync(Run, [new RowOperation.Insert("node|a", "1")], None);

        (await Partitions.QueryAsync(Run, "outbox|", None)).ShouldBeEmpty();
        (await Partitions.QueryAsync("unknown-run", string.Empty, None)).ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Execute_RacingFencedCommitsInParallel_ExactlyOneWinsAndLosersChangeNothing()
    {
        await RaceFencedCommitsAsync([Store, Store]);
    }

    [ContractFact]
    public async Task Execute_RacingFencedCommitsAcrossStoreInstances_ExactlyOneWinsAndLosersChangeNothing()
    {
        var other = await OpenAnotherStoreAsync();
        await RaceFencedCommitsAsync([Store, other]);
    }

    /// <summary>
    /// Writers that all read fencing row seq|4 commit an episode at once: each batch overwrites the header, adds a row, inserts
    /// seq|5 and deletes seq|4. The insert of seq|5 decides: one batch commits whole, the others commit nothing.
    /// </summary>
    private static async Task RaceFencedCommitsAsync(IReadOnlyList<IFlowStore> stores)
    {
        const int Writers = 12;
        var setup = await stores[0].Partitions.ExecuteAsync(Run, [new RowOperation.Insert("run", "\"initial\""), new RowOperation.Insert("seq|4", "4")], None);
        var fence = setup[1];
        using var start = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            var partitions = stores[writer % stores.Count].Partitions;
            start.Wait();
            try
            {
                await partitions.ExecuteAsync(Run,
                [
                    // Unconditional on purpose: the fencing row alone must decide (If-Match inside batches is not relied on).
                    new RowOperation.Upsert("run", $"\"writer {writer}\""),
                    new RowOperation.Upsert($"node|by-{writer}", "{}"),
                    new RowOperation.Insert("seq|5", $"{writer}"),
                    new RowOperation.Delete("seq|4", fence),
                ], None);
                return (Writer: writer, Conflict: (BatchConflictException?)null);
            }
            catch (BatchConflictException conflict)
            {
                return (Writer: writer, Conflict: conflict);
            }
        })).ToList();
        start.Set();
        var outcomes = await Task.WhenAll(attempts);

        var winners = outcomes.Where(outcome => outcome.Conflict is null).ToList();
        winners.Count.ShouldBe(1);
        var winner = winners[0].Writer;

        outcomes.Where(outcome => outcome.Conflict is not null)
            .ShouldAllBe(outcome => outcome.Conflict!.Index == 2 && outcome.Conflict.Key == "seq|5" && outcome.Conflict.Kind == ConflictKind.AlreadyExists);

        var rows = await stores[0].Partitions.QueryAsync(Run, string.Empty, None);
        rows.Select(row => row.Key).ShouldBe([$"node|by-{winner}", "run", "seq|5"]);
        rows.Single(row => row.Key == "run").Value.ShouldBe($"\"writer {winner}\"");
        rows.Single(row => row.Key == "seq|5").Value.ShouldBe($"{winner}");
    }
}
