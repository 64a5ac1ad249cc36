using FlowFunctions.Cli;

return await FlowCli.RunAsync(args, Console.Out, Console.Error);
