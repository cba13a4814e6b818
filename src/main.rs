//! The `mpcert` binary: parses the command line, sets up logging, calls the library and maps
//! the outcome to an exit code. Nothing else lives here.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use tokio::sync::watch;

use mpcert::cli::{Cli, Command, ListFormat};
use mpcert::config::{CatalogueSource, RunConfig, ServeConfig, signing};
use mpcert::driver::Progress;
use mpcert::report::console::{self, Verbosity};
use mpcert::report::{CaseReport, RunMeta};
use mpcert::{app, exit, gate, list};

fn init_tracing(verbose: bool) {
    let default = if verbose {
        "mpcert=debug"
    } else {
        "mpcert=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MPCERT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// Prints each case as it finishes, so long runs show progress in CI logs.
struct ConsolePrinter {
    verbosity: Verbosity,
}

impl ConsolePrinter {
    fn print(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }
}

impl Progress for ConsolePrinter {
    fn started(&mut self, meta: &RunMeta) {
        self.print(&console::header(meta, self.verbosity));
    }

    fn case_finished(&mut self, category: &str, case: &CaseReport) {
        self.print(&console::case_lines(category, case, self.verbosity));
    }
}

/// Resolves with the signal's name when the run is asked to stop: SIGINT (Ctrl-C) or SIGTERM
/// (how CI systems and Kubernetes cancel a job). Both are listened for from the start, so
/// neither can kill the run before its reports are written.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => "interrupted",
            _ = terminate.recv() => "terminated",
        }
    })
}

/// Prints an error with its whole chain of causes (`cannot listen on …: address in use`) and
/// returns its exit code. This is the binary's error boundary: the library's typed errors
/// become `anyhow` errors here, with context where the library has none to give.
fn fail(error: impl Into<anyhow::Error>, code: u8) -> ExitCode {
    eprintln!("mpcert: {:#}", error.into());
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose = matches!(&cli.command, Command::Run(args) if args.verbose);
    init_tracing(verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(
                anyhow::Error::new(e).context("cannot start the async runtime"),
                exit::INFRASTRUCTURE,
            );
        }
    };
    runtime.block_on(dispatch(cli.command))
}

async fn dispatch(command: Command) -> ExitCode {
    match command {
        Command::Run(args) => {
            let verbosity = match (args.quiet, args.verbose) {
                (true, _) => Verbosity::Quiet,
                (_, true) => Verbosity::Verbose,
                _ => Verbosity::Normal,
            };
            let config = match RunConfig::from_args(*args) {
                Ok(config) => config,
                Err(e) => return fail(e, exit::USAGE),
            };
            let (interrupt, interrupted) = watch::channel(false);
            let stop = match stop_signal() {
                Ok(stop) => stop,
                Err(e) => {
                    return fail(
                        anyhow::Error::new(e).context("cannot listen for SIGTERM"),
                        exit::INFRASTRUCTURE,
                    );
                }
            };
            tokio::spawn(async move {
                let name = stop.await;
                eprintln!("mpcert: {name}; stopping the client and finishing the report");
                let _ = interrupt.send(true);
            });
            let mut printer = ConsolePrinter { verbosity };
            match app::run(config, interrupted, &mut printer).await {
                Ok(outcome) => {
                    let gap = if verbosity == Verbosity::Quiet {
                        ""
                    } else {
                        "\n"
                    };
                    print!(
                        "{gap}{}{}",
                        console::totals(&outcome.report),
                        console::certificate(&outcome.report, verbosity)
                    );
                    let _ = std::io::stdout().flush();
                    if let Some(note) = &outcome.recorded {
                        println!("{note}");
                    }
                    for error in &outcome.write_errors {
                        eprintln!("mpcert: {error}");
                    }
                    if let Some(error) = &outcome.record_error {
                        eprintln!("mpcert: --record: the certificate was not recorded: {error}");
                    }
                    ExitCode::from(outcome.exit_code())
                }
                Err(e) => {
                    let code = e.exit_code();
                    fail(e, code)
                }
            }
        }
        Command::List(args) => {
            match app::load_catalogue(&CatalogueSource::from_flag(args.catalogue.cases)) {
                Ok(catalogue) => {
                    match args.format {
                        ListFormat::Text => print!("{}", list::text(&catalogue)),
                        ListFormat::Json => print!("{}", list::json(&catalogue)),
                        ListFormat::Markdown => print!("{}", list::markdown(&catalogue)),
                    }
                    ExitCode::from(exit::PASSED)
                }
                Err(e) => fail(e, exit::USAGE),
            }
        }
        Command::Validate(args) => {
            match app::load_catalogue(&CatalogueSource::from_flag(args.cases)) {
                Ok(catalogue) => {
                    let cases: usize = catalogue.categories.iter().map(|c| c.cases.len()).sum();
                    println!(
                        "catalogue is valid: {} categories, {cases} cases (sha256 {})",
                        catalogue.categories.len(),
                        catalogue.digest
                    );
                    ExitCode::from(exit::PASSED)
                }
                Err(e) => fail(e, exit::USAGE),
            }
        }
        Command::Keygen(args) => {
            let paths = match signing::key_pair_paths(args) {
                Ok(paths) => paths,
                Err(e) => return fail(e, exit::USAGE),
            };
            match app::keygen(&paths) {
                Ok(key_id) => {
                    println!(
                        "wrote private key {} (mode 0600: keep it secret; it signs certificates: --signing-key)",
                        paths.private.display()
                    );
                    println!(
                        "wrote public key {} (key id {key_id}): give it to whoever checks the certificates",
                        paths.public.display()
                    );
                    ExitCode::from(exit::PASSED)
                }
                Err(e) => {
                    let code = e.exit_code();
                    fail(e, code)
                }
            }
        }
        Command::Gate(args) => {
            let outcome = gate::gate(&args);
            if outcome.code == exit::PASSED {
                println!("{}", outcome.message);
            } else {
                eprintln!("mpcert: {}", outcome.message);
            }
            ExitCode::from(outcome.code)
        }
        Command::Serve(args) => {
            let config = match ServeConfig::from_args(args) {
                Ok(config) => config,
                Err(e) => return fail(e, exit::USAGE),
            };
            let guarded = config.operator_token.is_some();
            let signing_key_id = (config.signing_key.as_ref()).map(|k| k.public_key().key_id());
            let served = app::serve(
                config,
                |url| {
                    println!("mpcert certification service listening on {url}");
                    println!("  session API: {url}/certification/v1/sessions");
                    if let Some(key_id) = &signing_key_id {
                        println!("  every certificate is signed with key {key_id}");
                    }
                    if !guarded {
                        println!(
                            "  anyone who reaches this address may create sessions; set MPCERT_SERVICE_TOKEN or --token-file to require a token"
                        );
                    }
                    let _ = std::io::stdout().flush();
                },
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await;
            match served {
                Ok(()) => ExitCode::from(exit::PASSED),
                Err(e) => {
                    let code = e.exit_code();
                    fail(e, code)
                }
            }
        }
    }
}
