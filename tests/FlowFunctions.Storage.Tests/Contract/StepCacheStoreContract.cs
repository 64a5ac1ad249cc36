namespace FlowFunctions.Storage.Tests.Contract;

/// <summary>What every <see cref="IStepCacheStore"/> must do: entries by workflow, node and hash, cleared by scope.</summary>
public abstract class StepCacheStoreContract : FlowStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset Expiry = new(2025, 3, 1, 13, 0, 0, TimeSpan.Zero);

    private static StepCacheEntry Entry(string workflow, string node, string hash, string output = "{\"v\":1}") =>
        new(workflow, node, hash, output, Expiry);

    [ContractFact]
    public async Task Put_ThenGet_FromAnotherInstance_RoundTrips_AndPutReplaces()
    {
        var other = await OpenAnotherStoreAsync();
        await Store.StepCache.PutAsync(Entry("shop", "fetch", "aa"), None);

        (await other.StepCache.GetAsync("shop", "fetch", "aa", None)).ShouldBe(Entry("shop", "fetch", "aa"));
        (await other.StepCache.GetAsync("shop", "fetch", "bb", None)).ShouldBeNull();
        (await other.StepCache.GetAsync("shop", "other", "aa", None)).ShouldBeNull();
        (await other.StepCache.GetAsync("shopping", "fetch", "aa", None)).ShouldBeNull();

        await other.StepCache.PutAsync(Entry("shop", "fetch", "aa", "null") with { ExpiresAt = Expiry.AddHours(1) }, None);
        (await Store.StepCache.GetAsync("shop", "fetch", "aa", None)).ShouldBe(Entry("shop", "fetch", "aa", "null") with { ExpiresAt = Expiry.AddHours(1) });
    }

    [ContractFact]
    public async Task Put_LargeOutput_RoundTrips()
    {
        var output = "\"" + new string('x', 700_000) + "\"";
        await Store.StepCache.PutAsync(Entry("shop", "fetch", "big", output), None);

        (await Store.StepCache.GetAsync("shop", "fetch", "big", None))!.Output.ShouldBe(output);
    }

    [ContractFact]
    public async Task Clear_ByWorkflowNodeOrEverything_RemovesExactlyThoseAndCountsThem()
    {
        foreach (var (workflow, node, hash) in new[]
        {
            ("shop", "fetch", "1"), ("shop", "fetch", "2"), ("shop", "price", "1"), ("shopping", "fetch", "1"),
            ("billing", "fetch", "1"), ("billing", "send", "1"),
        })
        {
            await Store.StepCache.PutAsync(Entry(workflow, node, hash), None);
        }

        (await Store.StepCache.ClearAsync("shop", "fetch", None)).ShouldBe(2);
        (await Store.StepCache.GetAsync("shop", "price", "1", None)).ShouldNotBeNull();
        (await Store.StepCache.GetAsync("shopping", "fetch", "1", None)).ShouldNotBeNull();

        (await Store.StepCache.ClearAsync(null, "fetch", None)).ShouldBe(2);
        (await Store.StepCache.GetAsync("billing", "send", "1", None)).ShouldNotBeNull();

        (await Store.StepCache.ClearAsync("shop", null, None)).ShouldBe(1);
        (await Store.StepCache.ClearAsync("nothing", null, None)).ShouldBe(0);
        (await Store.StepCache.ClearAsync(null, null, None)).ShouldBe(1);
        (await Store.StepCache.GetAsync("billing", "send", "1", None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task Clear_MoreThanOneBatch_RemovesAll()
    {
        for (var i = 0; i < 130; i++)
        {
            await Store.StepCache.PutAsync(Entry("wide", "n", i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)), None);
        }

        (await Store.StepCache.ClearAsync("wide", null, None)).ShouldBe(130);
        (await Store.StepCache.ClearAsync(null, null, None)).ShouldBe(0);
    }
}
