using System.Text;

namespace FlowFunctions.Storage.Tests.Contract;

/// <summary>What every <see cref="IRunIndex"/> must do: newest first, filters, stable paging.</summary>
public abstract class RunIndexContract : FlowStoreContract
{
    // Whole seconds: every store keeps at least that precision.
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    private IRunIndex Runs => Store.Runs;

    [ContractFact]
    public async Task List_NoRuns_ReturnsEmptyLastPage()
    {
        var page = await Runs.ListAsync(new RunQuery(), None);

        page.Runs.ShouldBeEmpty();
        page.ContinuationToken.ShouldBeNull();
    }

    [ContractFact]
    public async Task Upsert_NewRun_ListReturnsEveryField()
    {
        var summary = new RunSummary("r-1", "etl", "Running", T0, T0.AddMinutes(3), 2, 7);

        await Runs.UpsertAsync(summary, None);

        (await Runs.ListAsync(new RunQuery(), None)).Runs.ShouldBe([summary]);
    }

    [ContractFact]
    public async Task Upsert_NonUtcOffset_KeepsTheInstant()
    {
        var created = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.FromHours(2));

        await Runs.UpsertAsync(new RunSummary("r-1", "etl", "Running", created, created, 0, 1), None);

        var listed = (await Runs.ListAsync(new RunQuery(), None)).Runs.ShouldHaveSingleItem();
        listed.CreatedAt.UtcDateTime.ShouldBe(created.UtcDateTime);
    }

    [ContractFact]
    public async Task Upsert_ExistingRun_ReplacesSummaryWithoutDuplicating()
    {
        await Runs.UpsertAsync(new RunSummary("r-1", "etl", "Running", T0, T0, 0, 5), None);
        var finished = new RunSummary("r-1", "etl", "Succeeded", T0, T0.AddMinutes(9), 5, 5);

        await Runs.UpsertAsync(finished, None);

        (await Runs.ListAsync(new RunQuery(), None)).Runs.ShouldBe([finished]);
    }

    [ContractFact]
    public async Task List_RunsCreatedAtDifferentTimes_NewestFirst()
    {
        await Upsert("r-b", T0.AddMinutes(1));
        await Upsert("r-c", T0.AddMinutes(5));
        await Upsert("r-a", T0);

        var page = await Runs.ListAsync(new RunQuery(), None);

        page.Runs.Select(run => run.RunId).ShouldBe(["r-c", "r-b", "r-a"]);
    }

    [ContractFact]
    public async Task List_RunsCreatedAtTheSameTime_TiesOrderedByRunId()
    {
        await Upsert("r-2", T0);
        await Upsert("r-3", T0.AddSeconds(1));
        await Upsert("r-1", T0);
        await Upsert("r-0", T0);

        var page = await Runs.ListAsync(new RunQuery(), None);

        page.Runs.Select(run => run.RunId).ShouldBe(["r-3", "r-0", "r-1", "r-2"]);
    }

    [ContractFact]
    public async Task List_StatusFilter_ReturnsOnlyThatStatus()
    {
        await Upsert("r-1", T0, status: "Running");
        await Upsert("r-2", T0.AddSeconds(1), status: "Failed");
        await Upsert("r-3", T0.AddSeconds(2), status: "Running");

        var page = await Runs.ListAsync(new RunQuery(Status: "Running"), None);

        page.Runs.Select(run => run.RunId).ShouldBe(["r-3", "r-1"]);
    }

    [ContractFact]
    public async Task List_WorkflowFilter_ReturnsOnlyThatWorkflow()
    {
        await Upsert("r-1", T0, workflow: "etl");
        await Upsert("r-2", T0.AddSeconds(1), workflow: "report");
        await Upsert("r-3", T0.AddSeconds(2), workflow: "etl", status: "Failed");

        var page = await Runs.ListAsync(new RunQuery(Workflow: "etl"), None);
        var failedEtl = await Runs.ListAsync(new RunQuery(Status: "Failed", Workflow: "etl"), None);

        page.Runs.Select(run => run.RunId).ShouldBe(["r-3", "r-1"]);
        failedEtl.Runs.Select(run => run.RunId).ShouldBe(["r-3"]);
    }

    [ContractFact]
    public async Task List_CreatedRange_IncludesFromAndExcludesTo()
    {
        for (var minute = 0; minute < 5; minute++)
        {
            await Upsert($"r-{minute}", T0.AddMinutes(minute));
        }

        var page = await Runs.ListAsync(new RunQuery(CreatedFrom: T0.AddMinutes(1), CreatedTo: T0.AddMinutes(4)), None);

        page.Runs.Select(run => run.RunId).ShouldBe(["r-3", "r-2", "r-1"]);
    }

    [ContractFact]
    public async Task List_PagesWithContinuation_VisitEveryRunOnceInOrder()
    {
        var expected = new List<string>();
        for (var i = 0; i < 23; i++)
        {
            // Every third run shares its creation time with the previous one, so pages also split ties.
            var created = T0.AddMinutes(i - (i % 3 == 2 ? 1 : 0));
            await Upsert($"r-{i:D2}", created);
        }

        expected.AddRange((await Runs.ListAsync(new RunQuery(Limit: 1000), None)).Runs.Select(run => run.RunId));
        expected.Count.ShouldBe(23);

        var seen = new List<string>();
        var pages = 0;
        string? token = null;
        do
        {
            var page = await Runs.ListAsync(new RunQuery(Limit: 5, ContinuationToken: token), None);
            page.Runs.Count.ShouldBeLessThanOrEqualTo(5);
            seen.AddRange(page.Runs.Select(run => run.RunId));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null && pages < 10);

        pages.ShouldBe(5);
        seen.ShouldBe(expected);
    }

    [ContractFact]
    public async Task List_PagesWithFilter_KeepFilterAcrossPages()
    {
        for (var i = 0; i < 10; i++)
        {
            await Upsert($"r-{i}", T0.AddMinutes(i), status: i % 2 == 0 ? "Succeeded" : "Failed");
        }

        var first = await Runs.ListAsync(new RunQuery(Status: "Failed", Limit: 3), None);
        var second = await Runs.ListAsync(new RunQuery(Status: "Failed", Limit: 3, ContinuationToken: first.ContinuationToken), None);

        first.Runs.Select(run => run.RunId).ShouldBe(["r-9", "r-7", "r-5"]);
        second.Runs.Select(run => run.RunId).ShouldBe(["r-3", "r-1"]);
        second.ContinuationToken.ShouldBeNull();
    }

    [ContractFact]
    public async Task List_PageExactlyFull_LastPageHasNoToken()
    {
        await Upsert("r-1", T0);
        await Upsert("r-2", T0.AddSeconds(1));

        var page = await Runs.ListAsync(new RunQuery(Limit: 2), None);

        page.Runs.Count.ShouldBe(2);
        page.ContinuationToken.ShouldBeNull();
    }

    [ContractFact]
    public async Task List_RunAddedWhilePaging_DoesNotShiftLaterPages()
    {
        for (var i = 0; i < 4; i++)
        {
            await Upsert($"r-{i}", T0.AddMinutes(i));
        }

        var first = await Runs.ListAsync(new RunQuery(Limit: 2), None);
        await Upsert("r-new", T0.AddHours(1));
        var second = await Runs.ListAsync(new RunQuery(Limit: 2, ContinuationToken: first.ContinuationToken), None);

        first.Runs.Select(run => run.RunId).ShouldBe(["r-3", "r-2"]);
        second.Runs.Select(run => run.RunId).ShouldBe(["r-1", "r-0"]);
    }

    [ContractTheory]
    [InlineData("not a token!")]
    [InlineData("")]
    [InlineData("bm90IGEgdG9rZW4=")]
    public async Task List_BadContinuationToken_ThrowsArgumentException(string token)
    {
        await Upsert("r-1", T0);

        var error = await Should.ThrowAsync<ArgumentException>(() => Runs.ListAsync(new RunQuery(ContinuationToken: token), None));

        error.Message.ShouldContain("continuation token");
    }

    [ContractFact]
    public async Task List_TokenWithForeignContent_ThrowsArgumentException()
    {
        var forged = Convert.ToBase64String(Encoding.UTF8.GetBytes("x|y|z"));

        await Should.ThrowAsync<ArgumentException>(() => Runs.ListAsync(new RunQuery(ContinuationToken: forged), None));
    }

    [ContractTheory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public async Task List_LimitOutsideOneToThousand_ThrowsArgumentOutOfRange(int limit)
    {
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => Runs.ListAsync(new RunQuery(Limit: limit), None));
    }

    [ContractFact]
    public async Task Delete_ListedRun_GoneFromEveryListing()
    {
        await Upsert("r-1", T0, workflow: "etl", status: "Succeeded");
        await Upsert("r-2", T0.AddMinutes(1), workflow: "etl", status: "Succeeded");

        await Runs.DeleteAsync("r-1", None);

        (await Runs.ListAsync(new RunQuery(), None)).Runs.Select(run => run.RunId).ShouldBe(["r-2"]);
        (await Runs.ListAsync(new RunQuery(Status: "Succeeded"), None)).Runs.Select(run => run.RunId).ShouldBe(["r-2"]);
        (await Runs.ListAsync(new RunQuery(Workflow: "etl"), None)).Runs.Select(run => run.RunId).ShouldBe(["r-2"]);
        (await Runs.ListAsync(new RunQuery(Status: "Succeeded", Workflow: "etl"), None)).Runs.Select(run => run.RunId).ShouldBe(["r-2"]);
    }

    [ContractFact]
    public async Task Delete_RunWhoseStatusChanged_RemovesItUnderEveryStatus()
    {
        await Upsert("r-1", T0, status: "Running");
        await Upsert("r-1", T0, status: "Failed");

        await Runs.DeleteAsync("r-1", None);

        (await Runs.ListAsync(new RunQuery(), None)).Runs.ShouldBeEmpty();
        (await Runs.ListAsync(new RunQuery(Status: "Running"), None)).Runs.ShouldBeEmpty();
        (await Runs.ListAsync(new RunQuery(Status: "Failed"), None)).Runs.ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Delete_UnknownOrAlreadyDeletedRun_DoesNothing()
    {
        await Upsert("r-1", T0);

        await Runs.DeleteAsync("r-unknown", None);
        await Runs.DeleteAsync("r-1", None);
        await Runs.DeleteAsync("r-1", None);

        (await Runs.ListAsync(new RunQuery(), None)).Runs.ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Delete_ThenUpsertAgain_ListsTheRunOnce()
    {
        await Upsert("r-1", T0, status: "Succeeded");
        await Runs.DeleteAsync("r-1", None);
        var again = new RunSummary("r-1", "etl", "Running", T0.AddMinutes(1), T0.AddMinutes(1), 0, 3);

        await Runs.UpsertAsync(again, None);

        (await Runs.ListAsync(new RunQuery(), None)).Runs.ShouldBe([again]);
        (await Runs.ListAsync(new RunQuery(Status: "Succeeded"), None)).Runs.ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Delete_RunIdWithTableKeyCharacters_Deletes()
    {
        await Upsert("a/b#c?d|e", T0);

        await Runs.DeleteAsync("a/b#c?d|e", None);

        (await Runs.ListAsync(new RunQuery(), None)).Runs.ShouldBeEmpty();
    }

    private Task Upsert(string runId, DateTimeOffset created, string workflow = "etl", string status = "Running") =>
        Runs.UpsertAsync(new RunSummary(runId, workflow, status, created, created, 0, 3), None);
}
