using Microsoft.AspNetCore.Mvc.Testing;

namespace FlowFunctions.Host.Tests;

public sealed class HealthTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    [Fact]
    public async Task Health_AnswersOk()
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));

        response.IsSuccessStatusCode.ShouldBeTrue();
    }
}
