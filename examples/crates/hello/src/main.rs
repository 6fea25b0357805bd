fn main() {
    println!("Hello from an mzbuild image!");
}
