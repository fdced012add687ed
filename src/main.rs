fn main() -> std::process::ExitCode {
    alertform::cli::main()
}
