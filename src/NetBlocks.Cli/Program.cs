return NetBlocks.Cli.App.Run(args);
