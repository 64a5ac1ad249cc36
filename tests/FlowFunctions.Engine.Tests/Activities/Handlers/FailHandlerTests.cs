using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;
using FlowFunctions.Engine.Activities;
using FlowFunctions.Engine.Activities.Handlers;

namespace FlowFunctions.Engine.Tests.Activities.Handlers;

public sealed class FailHandlerTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(10, false)]
    public async Task Times_FailsTheFirstExecutions_ThenSucceedsWithOutput(int execution, bool fails)
    {
        var with = JsonNode.Parse("""{ "message": "upstream returned 503", "times": 2, "output": { "rows": 42 } }""");

        var run = Run(with, execution);

        if (fails)
        {
            var error = await Should.ThrowAsync<ActivityException>(run);
            error.Message.ShouldBe("upstream returned 503");
            error.Class.ShouldBe(ErrorClass.Transient);
        }
        else
        {
            JsonNode.DeepEquals(await run(), JsonNode.Parse("""{ "rows": 42 }""")).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task WithoutTimes_AlwaysFails_WithTheDefaultMessage()
    {
        var error = await Should.ThrowAsync<ActivityException>(Run(null, 57));

        error.Message.ShouldBe("failed");
        error.Class.ShouldBe(ErrorClass.Transient);
    }

    [Fact]
    public async Task TimesZero_SucceedsAtOnce_WithNullOutputWhenNoneIsGiven() =>
        (await Run(new JsonObject { ["times"] = 0 }, 1)()).ShouldBeNull();

    [Theory]
    [InlineData("""{ "times": "two" }""")]
    [InlineData("""{ "times": -1 }""")]
    [InlineData("""{ "times": 1.5 }""")]
    [InlineData("""{ "message": 3 }""")]
    [InlineData("[1]")]
    public async Task MalformedWith_FailsPermanently(string with)
    {
        var error = await Should.ThrowAsync<ActivityException>(Run(JsonNode.Parse(with), 1));

        error.Class.ShouldBe(ErrorClass.Permanent);
    }

    private static Func<Task<JsonNode?>> Run(JsonNode? with, int execution) =>
        () => new FailHandler().ExecuteAsync(new ActivityExecution(Requests.For("fail", with), execution), CancellationToken.None);
}
