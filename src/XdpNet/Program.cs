return XdpNet.Cli.XdpNetCommand.Invoke(args);
