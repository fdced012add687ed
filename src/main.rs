//! The `alertform` binary: everything lives in the library, see `alertform::cli`.

/// mimalloc instead of the system allocator: parsing configs and pages is allocation-bound.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    alertform::cli::main()
}
