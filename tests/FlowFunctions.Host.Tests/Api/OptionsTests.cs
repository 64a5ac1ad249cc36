using FlowFunctions.Host.Api;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowFunctions.Host.Tests.Api;

/// <summary>The host refuses to start with settings that would leave it open or without a store, and says why.</summary>
public sealed class OptionsTests
{
    [Theory]
    [InlineData("no API key", "FlowFunctions:Store", "x.db")]
    [InlineData("no store", "FlowFunctions:Dev", "true")]
    [InlineData("not loopback", "FlowFunctions:Dev", "true", "urls", "http://0.0.0.0:8080")]
    [InlineData("not loopback", "FlowFunctions:Dev", "true", "urls", "http://127.0.0.1:8080;http://*:8081")]
    [InlineData("at least 16 characters", "FlowFunctions:Dev", "true", "FlowFunctions:ApiKeys:0", "short")]
    [InlineData("MaxRequestBodyBytes", "FlowFunctions:Dev", "true", "FlowFunctions:MaxRequestBodyBytes", "10")]
    public void BadSettings_FailValidationWithAClearMessage(string expected, params string[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Chunk(2).Select(p => new KeyValuePair<string, string?>(p[0], p[1])))
            .Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddFlowFunctionsApi().BuildServiceProvider();

        var error = Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IOptions<FlowHostOptions>>().Value);

        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void GoodSettings_Validate()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("FlowFunctions:Store", "x.db"), new("FlowFunctions:ApiKeys:0", "0123456789abcdef0"), new("urls", "http://0.0.0.0:80")])
            .Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddFlowFunctionsApi().BuildServiceProvider();

        services.GetRequiredService<IOptions<FlowHostOptions>>().Value.MaxRequestBodyBytes.ShouldBe(1024 * 1024);
    }

    [Theory]
    [InlineData("Production", null, "refused in Production (environment Production)")]
    [InlineData("Development", "Production", "refused in Production (AZURE_FUNCTIONS_ENVIRONMENT=Production)")]
    [InlineData("Development", null, null)]
    [InlineData("Test", "Development", null)]
    public void Chaos_IsRefusedInProduction(string environment, string? functionsEnvironment, string? expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["FlowFunctions:Store"] = "x.db",
            ["FlowFunctions:Dev"] = "true",
            ["FlowFunctions:Chaos:Rules:0:NodeType"] = "http",
            ["FlowFunctions:Chaos:Rules:0:FaultRate"] = "0.05",
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = functionsEnvironment,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = environment })
            .AddFlowFunctionsApi()
            .BuildServiceProvider();

        if (expected is null)
        {
            var options = services.GetRequiredService<IOptions<FlowHostOptions>>().Value;
            options.Chaos.Rules.ShouldHaveSingleItem().FaultRate.ShouldBe(0.05);
        }
        else
        {
            Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IOptions<FlowHostOptions>>().Value).Message.ShouldContain(expected);
        }
    }

    [Fact]
    public void ChaosRule_WithABadRate_FailsValidation()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlowFunctions:Store"] = "x.db",
            ["FlowFunctions:Dev"] = "true",
            ["environment"] = "Development",
            ["FlowFunctions:Chaos:Rules:0:Key"] = "api.example.com",
            ["FlowFunctions:Chaos:Rules:0:LatencyRate"] = "1.5",
        }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddFlowFunctionsApi().BuildServiceProvider();

        Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IOptions<FlowHostOptions>>().Value)
            .Message.ShouldContain("FlowFunctions:Chaos:Rules:0: LatencyRate must be between 0 and 1, not 1.5");
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://0.0.0.0:5000", false)]
    [InlineData("http://*:5000", false)]
    [InlineData("http://+:5000", false)]
    [InlineData("http://example.com:5000", false)]
    public void IsLoopback(string url, bool expected) => FlowHostOptionsValidator.IsLoopback(url).ShouldBe(expected);

    [Fact]
    public void Switches_BecomeConfiguration()
    {
        var args = HostCommandLine.Normalize(["--dev", "--store", "a.db", "--no-worker", "--api-key", "k1", "--api-key=k2", "--urls", "http://127.0.0.1:1"]);

        args.ShouldBe([
            "--FlowFunctions:Dev=true", "--FlowFunctions:Store=a.db", "--FlowFunctions:NoWorker=true",
            "--FlowFunctions:ApiKeys:0=k1", "--FlowFunctions:ApiKeys:1=k2", "--urls", "http://127.0.0.1:1",
        ]);
    }
}
