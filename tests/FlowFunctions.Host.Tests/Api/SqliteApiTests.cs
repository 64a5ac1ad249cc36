namespace FlowFunctions.Host.Tests.Api;

/// <summary>The API in-process on the embedded SQLite store.</summary>
public sealed class SqliteApiTests(ApiFactory factory) : ApiScenarios(factory), IClassFixture<ApiFactory>
{
    [Fact]
    public Task PostRun_YamlText_Returns202AndWorksTheRunToSuccess() => StartRunOfYamlText_WorksItToSuccess();

    [Fact]
    public Task PostRun_IdempotencyKey_SameRunOrConflict() => IdempotencyKey_SameRequestIsTheSameRun_OtherRequestIsAConflict();

    [Fact]
    public Task GetRuns_FiltersAndPages() => ListRuns_FiltersAndPagesNewestFirst();

    [Fact]
    public Task Workflows_RegisterListVersionsAndRun() => Workflows_RegisterVersionsAndRunByName();

    [Fact]
    public Task CancelRun_Cancels_ThenIs409() => Cancel_StopsARunningRun_ThenConflicts();

    [Fact]
    public Task RerunRun_202WithLocation_404_400_409() => Rerun_StartsANewRunFromANode_WithLocation_AndRefusals();

    [Fact]
    public Task RunControl_RedrivePauseResumeTerminate() => RunControl_RedriveAFailedNode_PauseResumeTerminate_AndRefusals();

    [Fact]
    public Task PatchRun_DryRun200_Invalid400_Stale409_Accepted202_Terminal409() => Patch_DryRunInvalidStaleAcceptedAndTerminal();

    [Theory]
    [MemberData(nameof(OddRunIds))]
    public Task UnknownRunId_Is404(string id) => UnknownRunIdsOfAnyShape_Are404(id);
}

/// <summary>The same scenarios on Azurite.</summary>
public sealed class AzuriteApiTests(AzureApiFactory factory) : ApiScenarios(factory), IClassFixture<AzureApiFactory>
{
    [AzureFact]
    public Task PostRun_YamlText_Returns202AndWorksTheRunToSuccess() => StartRunOfYamlText_WorksItToSuccess();

    [AzureFact]
    public Task PostRun_IdempotencyKey_SameRunOrConflict() => IdempotencyKey_SameRequestIsTheSameRun_OtherRequestIsAConflict();

    [AzureFact]
    public Task GetRuns_FiltersAndPages() => ListRuns_FiltersAndPagesNewestFirst();

    [AzureFact]
    public Task Workflows_RegisterListVersionsAndRun() => Workflows_RegisterVersionsAndRunByName();

    [AzureFact]
    public Task RerunRun_202WithLocation_404_400_409() => Rerun_StartsANewRunFromANode_WithLocation_AndRefusals();

    [AzureFact]
    public Task CancelRun_Cancels_ThenIs409() => Cancel_StopsARunningRun_ThenConflicts();

    [AzureFact]
    public async Task UnknownRunIds_Are404()
    {
        foreach (var id in OddRunIds)
        {
            await UnknownRunIdsOfAnyShape_Are404(id);
        }
    }
}

/// <summary>
/// The same scenarios on the durable engine (the host with <c>--engine durable</c> on Azurite): a user cannot tell the
/// engines apart from the API except by the run document's <c>engine</c>.
/// </summary>
public sealed class DurableApiTests(DurableApiFactory factory) : ApiScenarios(factory), IClassFixture<DurableApiFactory>
{
    [AzureFact]
    public Task PostRun_YamlText_Returns202AndWorksTheRunToSuccess() => StartRunOfYamlText_WorksItToSuccess();

    [AzureFact]
    public Task PostRun_IdempotencyKey_SameRunOrConflict() => IdempotencyKey_SameRequestIsTheSameRun_OtherRequestIsAConflict();

    [AzureFact]
    public Task RerunRun_202WithLocation_404_400_409() => Rerun_StartsANewRunFromANode_WithLocation_AndRefusals();

    [AzureFact]
    public Task CancelRun_Cancels_ThenIs409() => Cancel_StopsARunningRun_ThenConflicts();

    [AzureFact]
    public Task RunControl_RedrivePauseResumeTerminate() => RunControl_RedriveAFailedNode_PauseResumeTerminate_AndRefusals();

    [AzureFact]
    public Task PatchRun_DryRun200_Invalid400_Stale409_Accepted202_Terminal409() => Patch_DryRunInvalidStaleAcceptedAndTerminal();
}
