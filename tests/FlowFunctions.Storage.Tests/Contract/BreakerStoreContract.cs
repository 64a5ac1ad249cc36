namespace FlowFunctions.Storage.Tests.Contract;

/// <summary>What every <see cref="IBreakerStore"/> must do: conditional inserts and replaces, seen by every instance.</summary>
public abstract class BreakerStoreContract : FlowStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    [ContractFact]
    public async Task Write_WithoutETag_InsertsOnce_TheSecondInsertLoses()
    {
        var other = await OpenAnotherStoreAsync();

        var first = await Store.Breakers.TryWriteAsync("api.example.com", "{\"phase\":\"Open\"}", null, None);
        var second = await other.Breakers.TryWriteAsync("api.example.com", "{\"phase\":\"Closed\"}", null, None);

        first.ShouldNotBeNull();
        second.ShouldBeNull();
        (await other.Breakers.GetAsync("api.example.com", None)).ShouldBe(new StoredRow("api.example.com", "{\"phase\":\"Open\"}", first));
    }

    [ContractFact]
    public async Task Write_WithTheCurrentETag_Replaces_AndAStaleETagLoses()
    {
        var other = await OpenAnotherStoreAsync();
        var created = (await Store.Breakers.TryWriteAsync("payments", "1", null, None))!;

        // Two workers read the same version and race: exactly one write wins (the half-open probe claim).
        var won = await Store.Breakers.TryWriteAsync("payments", "2", created, None);
        var lost = await other.Breakers.TryWriteAsync("payments", "3", created, None);

        won.ShouldNotBeNull();
        won.ShouldNotBe(created);
        lost.ShouldBeNull();
        (await other.Breakers.GetAsync("payments", None))!.Value.ShouldBe("2");
        (await other.Breakers.TryWriteAsync("payments", "4", won, None)).ShouldNotBeNull();
    }

    [ContractFact]
    public async Task Write_WithAnETag_ForAMissingKey_Loses()
    {
        var created = (await Store.Breakers.TryWriteAsync("a", "1", null, None))!;

        (await Store.Breakers.TryWriteAsync("b", "1", created, None)).ShouldBeNull();
        (await Store.Breakers.GetAsync("b", None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task Keys_AreIndependent_AndNotRunPartitions()
    {
        await Store.Breakers.TryWriteAsync("echo", "e", null, None);
        await Store.Breakers.TryWriteAsync("host/with'odd#chars?", "h", null, None);

        (await Store.Breakers.GetAsync("echo", None))!.Value.ShouldBe("e");
        (await Store.Breakers.GetAsync("host/with'odd#chars?", None))!.Value.ShouldBe("h");
        (await Store.Runs.ListAsync(new RunQuery(), None)).Runs.ShouldBeEmpty();
    }
}
