using FlowFunctions.Host.Tests.Api;

namespace FlowFunctions.Host.Tests;

public sealed class HealthTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Health_AnswersOk()
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));

        response.IsSuccessStatusCode.ShouldBeTrue();
    }
}
